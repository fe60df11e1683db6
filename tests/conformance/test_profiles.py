"""The generated profiles match their FSH sources, and are consistent with each other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conformance import paths, profiles


def _load(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]


def test_generated_files_are_up_to_date() -> None:
    assert profiles.check() == []


def test_hand_edited_output_is_detected(tmp_path: Path) -> None:
    root = tmp_path / "fhir_profiles"
    for name in (*profiles.OUTPUT_DIRS, "manifest.json"):
        source = paths.FHIR_PROFILES / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name)
    edited = root / "examples" / "Observation-graded-hb-grade.json"
    edited.write_text(edited.read_text().replace("HB-III", "HB-II"))
    (root / "resources" / "ValueSet-body-sides.json").unlink()
    (root / "examples" / "extra.json").write_text("{}")
    problems = profiles.check(root=root)
    assert "generated file examples/Observation-graded-hb-grade.json is edited by hand" in problems
    assert "generated file resources/ValueSet-body-sides.json is gone" in problems
    assert "generated file examples/extra.json is new" in problems
    assert problems[-1] == "run 'python -m conformance.profiles build' and commit the result"


def test_changed_source_is_detected(tmp_path: Path) -> None:
    root = tmp_path / "fhir_profiles"
    for name in profiles.OUTPUT_DIRS:
        shutil.copytree(paths.FHIR_PROFILES / name, root / name)
    manifest = json.loads(paths.MANIFEST.read_text())
    manifest["inputs"]["fhir_profiles/fsh/input/fsh/careplan.fsh"] = "0" * 64
    (root / "manifest.json").write_text(json.dumps(manifest))
    problems = profiles.check(root=root)
    assert "source fhir_profiles/fsh/input/fsh/careplan.fsh is changed since the last build" in problems


def test_missing_manifest_is_reported(tmp_path: Path) -> None:
    assert profiles.check(root=tmp_path) == [
        f"{tmp_path / 'manifest.json'} is missing; run 'python -m conformance.profiles build'"
    ]


def test_check_command_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert profiles.main(["check"]) == 0


def test_build_command_names_a_missing_tool(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert profiles.main(["build"]) == 2
    assert capsys.readouterr().err.strip() == (
        "conformance.profiles build: error: 'mvn' is not on PATH; it is needed to build the validator Java application"
    )


def test_every_profile_has_a_snapshot_under_the_canonical_base() -> None:
    definitions = [r for r in _load(paths.RESOURCES) if r["resourceType"] == "StructureDefinition"]
    assert len(definitions) == 15
    for sd in definitions:
        assert sd["url"] == f"{paths.CANONICAL}/StructureDefinition/{sd['id']}"
        assert sd["fhirVersion"] == "4.0.1"
        assert sd["snapshot"]["element"], sd["id"]
        assert sd["differential"]["element"], sd["id"]


def test_examples_use_only_defined_codes_and_profiles() -> None:
    resources = _load(paths.RESOURCES)
    profile_urls = {r["url"] for r in resources if r["resourceType"] == "StructureDefinition"}
    codesystem = next(r for r in resources if r["resourceType"] == "CodeSystem")
    codes: set[str] = set()

    def collect(concepts: list[dict[str, Any]]) -> None:
        for c in concepts:
            codes.add(c["code"])
            collect(c.get("concept", []))

    collect(codesystem["concept"])

    def used(node: Any) -> set[str]:
        found: set[str] = set()
        if isinstance(node, dict):
            if node.get("system") == codesystem["url"] and "code" in node:
                found.add(node["code"])
            for value in node.values():
                found |= used(value)
        elif isinstance(node, list):
            for value in node:
                found |= used(value)
        return found

    for example in _load(paths.EXAMPLES):
        assert set(example.get("meta", {}).get("profile", [])) <= profile_urls, example["id"]
        assert used(example) <= codes, example["id"]


def test_value_sets_only_hold_defined_codes() -> None:
    resources = _load(paths.RESOURCES)
    codesystem = next(r for r in resources if r["resourceType"] == "CodeSystem")
    codes = set()
    stack = list(codesystem["concept"])
    while stack:
        concept = stack.pop()
        codes.add(concept["code"])
        stack.extend(concept.get("concept", []))
    for vs in (r for r in resources if r["resourceType"] == "ValueSet"):
        for include in vs["compose"]["include"]:
            if include["system"] == codesystem["url"]:
                assert {c["code"] for c in include["concept"]} <= codes, vs["id"]


def test_ai_produced_examples_carry_the_aiast_label() -> None:
    ai_profiles = {"fpcds-hb-grade", "fpcds-sunnybrook", "fpcds-eface", "fpcds-asymmetry-measure", "fpcds-semg-measure",
                   "fpcds-classification-probability", "fpcds-recovery-prognosis", "fpcds-assessment-report",
                   "fpcds-care-plan"}
    checked = 0
    for example in _load(paths.EXAMPLES):
        declared = {p.rsplit("/", 1)[1] for p in example.get("meta", {}).get("profile", [])}
        if declared & ai_profiles:
            checked += 1
            assert {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "AIAST",
                    "display": "Artificial Intelligence asserted"} in example["meta"]["security"], example["id"]
    assert checked >= 30


@pytest.mark.java
def test_build_regenerates_the_committed_files(tmp_path: Path) -> None:
    manifest = profiles.build_profiles(out=tmp_path, log=False)
    committed = json.loads(paths.MANIFEST.read_text())
    assert manifest == committed
    assert profiles.check(root=tmp_path) == []
