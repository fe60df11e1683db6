"""Build the fpcds FHIR profiles from their FSH sources, and check the build is current.

Sources: ``fhir_profiles/fsh`` (a SUSHI project). ``build`` runs

1. SUSHI (npm package ``fsh-sushi``, pinned in ``conformance/sushi``) against
   an ``hl7.fhir.r4.core#4.0.1`` package that the validator assembles offline
   from the R4 definitions HAPI ships (no reachable registry serves it; see
   :func:`conformance.build.ensure_fhir_home`);
2. the HAPI snapshot generator (``fpcds-validator snapshot``) on the
   differential StructureDefinitions;
3. a strict HAPI re-encoding of every other resource in FHIR element order;

and writes ``fhir_profiles/resources`` (our StructureDefinitions with
snapshots, CodeSystem, ValueSets, CapabilityStatement),
``fhir_profiles/terminology`` (fragments of external code systems that R4
predates), ``fhir_profiles/examples`` and ``fhir_profiles/manifest.json``
(SHA-256 of every input and output). The generated files are committed;
``check`` tells, without any tool, whether they still match their sources.

Command line::

    python -m conformance.profiles build     # regenerate
    python -m conformance.profiles check     # exit status 1 if out of date
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from conformance import build, paths
from conformance.errors import BuildError, ConformanceError

OUTPUT_DIRS: tuple[str, ...] = ("resources", "terminology", "examples")
#: Resource types that are definitions rather than examples.
DEFINITION_TYPES = frozenset({"StructureDefinition", "CodeSystem", "ValueSet", "CapabilityStatement", "Questionnaire"})
#: SUSHI warnings that are expected offline (it cannot fetch its optional add-on packages).
_EXPECTED_SUSHI_WARNINGS = ("Failed to load automatically-provided",)


def input_files() -> list[Path]:
    """Every file whose content determines the generated output."""
    files = sorted(p for p in paths.FSH_PROJECT.rglob("*") if p.is_file())
    files += [paths.SUSHI_PROJECT / "package.json", paths.SUSHI_PROJECT / "package-lock.json"]
    files += [paths.VALIDATOR_PROJECT / "pom.xml"]
    return files


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def input_hashes() -> dict[str, str]:
    return {p.relative_to(paths.REPO).as_posix(): _sha256(p) for p in input_files()}


def output_hashes(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in OUTPUT_DIRS:
        directory = root / name
        if directory.is_dir():
            for p in sorted(directory.rglob("*.json")):
                out[p.relative_to(root).as_posix()] = _sha256(p)
    return out


def check(*, root: Path = paths.FHIR_PROFILES) -> list[str]:
    """Problems that make the generated files in ``root`` stale; empty when current."""
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        return [f"{manifest_path} is missing; run 'python -m conformance.profiles build'"]
    manifest = json.loads(manifest_path.read_text())
    problems = _diff("source", manifest.get("inputs", {}), input_hashes(), "changed since the last build")
    problems += _diff("generated file", manifest.get("outputs", {}), output_hashes(root), "edited by hand")
    if problems:
        problems.append("run 'python -m conformance.profiles build' and commit the result")
    return problems


def _diff(kind: str, recorded: dict[str, str], current: dict[str, str], changed: str) -> list[str]:
    problems = [f"{kind} {name} is {changed}" for name in sorted(recorded.keys() & current.keys())
                if recorded[name] != current[name]]
    problems += [f"{kind} {name} is new" for name in sorted(current.keys() - recorded.keys())]
    problems += [f"{kind} {name} is gone" for name in sorted(recorded.keys() - current.keys())]
    return problems


def build_profiles(*, out: Path = paths.FHIR_PROFILES, log: bool = True) -> dict:
    """Regenerate the conformance resources into ``out``; return the manifest.

    Raises
    ------
    ToolMissingError
        java, mvn, node or npm is missing.
    BuildError
        SUSHI reported errors, or snapshot generation or re-encoding failed.
    """
    jar = build.build_jar(build.VALIDATOR)
    java = build.require_tool("java", purpose="generate the profile snapshots")
    sushi = ensure_sushi()
    fhir_home = build.ensure_fhir_home()
    with tempfile.TemporaryDirectory(prefix="fpcds-profiles-") as tmp_name:
        tmp = Path(tmp_name)
        warnings = compile_fsh(sushi, fhir_home=fhir_home, out=tmp / "sushi")
        if log:
            for warning in warnings:
                print(f"sushi: {warning}", file=sys.stderr)
        staged = _split(tmp / "sushi" / "fsh-generated" / "resources", tmp / "in")
        result = tmp / "out"
        _run_java(
            [java, "-jar", str(jar), "snapshot", "--defs", str(staged["resources"]), "--defs",
             str(staged["terminology"]), "--in", str(staged["differentials"]), "--out", str(result / "resources")],
            what="snapshot generation",
        )
        pairs: list[str] = []
        for name in OUTPUT_DIRS:
            pairs += ["--in", str(staged[name]), "--out", str(result / name)]
        _run_java([java, "-jar", str(jar), "reencode", *pairs], what="re-encoding")
        out.mkdir(parents=True, exist_ok=True)
        for name in OUTPUT_DIRS:
            target = out / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(result / name, target)
    manifest = {
        "generated_by": "python -m conformance.profiles build",
        "inputs": input_hashes(),
        "outputs": output_hashes(out),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def ensure_sushi() -> Path:
    """The SUSHI executable of ``conformance/sushi``, installed with ``npm ci`` if missing."""
    npm = build.require_tool("npm", purpose="install SUSHI (fsh-sushi) for the profile build")
    build.require_tool("node", purpose="run SUSHI for the profile build")
    executable = paths.SUSHI_PROJECT / "node_modules" / ".bin" / "sushi"
    installed = paths.SUSHI_PROJECT / "node_modules" / ".package-lock.json"
    lock = paths.SUSHI_PROJECT / "package-lock.json"
    if executable.exists() and installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return executable
    for argv in ([npm, "ci", "--offline", "--no-audit", "--no-fund"], [npm, "ci", "--no-audit", "--no-fund"]):
        done = subprocess.run(argv, cwd=paths.SUSHI_PROJECT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode == 0 and executable.exists():
            return executable
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
    raise BuildError(f"{paths.SUSHI_PROJECT}: 'npm ci' failed with exit status {done.returncode}:\n{tail}")


def compile_fsh(sushi: Path, *, fhir_home: Path, out: Path) -> list[str]:
    """Run SUSHI on the FSH project into ``out``; return its unexpected warnings.

    SUSHI reads its FHIR package cache under ``$HOME/.fhir``; ``fhir_home`` is
    given as HOME, so the offline core package is used and nothing is fetched.
    """
    env = dict(os.environ, HOME=str(fhir_home))
    done = subprocess.run(
        [str(sushi), "build", str(paths.FSH_PROJECT), "-o", str(out)],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=600,
    )
    text = done.stdout + done.stderr
    counted = re.search(r"(\d+) Errors?\s+(\d+) Warnings?", text)
    n_errors = int(counted.group(1)) if counted else None
    if done.returncode != 0 or n_errors != 0:
        lines = [line for line in text.splitlines() if line.startswith("error") or line.startswith("  File:")]
        detail = "\n".join(lines[-30:]) or "\n".join(text.splitlines()[-30:])
        raise BuildError(f"SUSHI found errors in {paths.FSH_PROJECT}:\n{detail}")
    warnings = [line[len("warn"):].strip() for line in text.splitlines() if line.startswith("warn")]
    return [w for w in warnings if not w.startswith(_EXPECTED_SUSHI_WARNINGS)]


def _split(generated: Path, staging: Path) -> dict[str, Path]:
    """Sort SUSHI's output into differentials, resources, terminology and examples."""
    dirs = {name: staging / name for name in ("differentials", *OUTPUT_DIRS)}
    for d in dirs.values():
        d.mkdir(parents=True)
    for path in sorted(generated.glob("*.json")):
        resource = json.loads(path.read_text())
        kind = resource.get("resourceType")
        ours = str(resource.get("url", "")).startswith(paths.CANONICAL + "/")
        if kind == "StructureDefinition":
            if not ours:
                raise BuildError(f"{path.name}: StructureDefinition url is outside {paths.CANONICAL}")
            destination = "differentials"
        elif kind in DEFINITION_TYPES:
            destination = "resources" if ours else "terminology"
        else:
            destination = "examples"
        shutil.copy2(path, dirs[destination] / path.name)
    return dirs


def _run_java(argv: list[str], *, what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=900)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise BuildError(f"{what} failed with exit status {done.returncode}:\n{tail}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.profiles", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="regenerate fhir_profiles/{resources,terminology,examples} and the manifest")
    sub.add_parser("check", help="exit 1 if the generated files do not match their sources")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            manifest = build_profiles()
            counts = {name: sum(1 for k in manifest["outputs"] if k.startswith(name + "/")) for name in OUTPUT_DIRS}
            print("built " + ", ".join(f"{n} {name}" for name, n in counts.items()) + f" in {paths.FHIR_PROFILES}")
            return 0
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    except ConformanceError as exc:
        print(f"conformance.profiles {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
