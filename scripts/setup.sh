#!/usr/bin/env bash
# One-time (idempotent) set-up on a fresh machine: a virtual environment in
# .venv with the pinned dependencies (constraints.txt), mediapipe without its
# unused jax dependency, and fpcds itself in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."
# System packages: Debian's Chromium for the browser tests (never a downloaded browser).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
        echo "setup: chromium/chromedriver missing and cannot apt-get install them; browser tests will not run" >&2
    fi
fi
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.fpcds-setup
want=$(cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install -q --upgrade "pip>=24"
    .venv/bin/python -m pip install -q -c constraints.txt -e ".[test]"
    # mediapipe 0.10.21 is the last release that bundles the face-mesh models.
    .venv/bin/python -m pip install -q --no-deps "mediapipe==0.10.21"
    echo "$want" > "$stamp"
fi
# FHIR conformance tools: SUSHI (npm, pinned by package-lock) and the two Java
# applications (HAPI validator, HAPI JPA server; Maven Central, cached in
# ~/.m2 and rebuilt only when their sources change).
if [ ! -d conformance/sushi/node_modules ]; then
    (cd conformance/sushi && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
.venv/bin/python -c "from conformance import build; build.build_jar(build.VALIDATOR); build.build_jar(build.FHIR_SERVER); build.ensure_fhir_home()"
