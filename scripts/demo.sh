#!/usr/bin/env bash
# Set up (idempotent) and run the demo: the plugin and the sandbox EHR on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/fpcds demo "$@"
