"""The validator service and command line: its API and its error paths."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conformance import build, paths
from conformance.errors import ValidatorError
from conformance.validator import FhirValidator, Issue, errors


def test_issue_reports_errors_and_prints_its_location() -> None:
    issue = Issue(resource=2, severity="fatal", location="Observation.code", message="broken")
    assert issue.is_error
    assert str(issue) == "[2] fatal Observation.code: broken"
    assert errors([issue, Issue(0, "warning", "Observation", "w")]) == [issue]


def test_missing_definitions_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidatorError, match=r"definitions directory .*/nowhere does not exist"):
        FhirValidator(definitions=[tmp_path / "nowhere"])


def test_validator_that_is_not_started_says_so() -> None:
    with pytest.raises(ValidatorError, match=r"the validator is not running; call start\(\) first"):
        FhirValidator().validate({"resourceType": "Patient"})


@pytest.mark.java
def test_non_resource_input_is_refused(fhir_validator: FhirValidator) -> None:
    expected = r"resources\[1\] is not a FHIR resource: expected a JSON object with a 'resourceType'"
    with pytest.raises(ValidatorError, match=expected):
        fhir_validator.validate([{"resourceType": "Patient"}, {"id": "x"}])


@pytest.mark.java
def test_each_issue_names_its_resource(fhir_validator: FhirValidator, examples: dict[str, Any]) -> None:
    bad = {"resourceType": "Observation", "status": "final"}  # no code
    issues = fhir_validator.validate([examples["patient-graded"], bad])
    found = errors(issues)
    assert found and {i.resource for i in found} == {1}
    assert any(i.location == "Observation" and "Observation.code: minimum required = 1" in i.message for i in found)


@pytest.mark.java
def test_invalid_json_structure_is_reported_as_an_issue(fhir_validator: FhirValidator) -> None:
    found = errors(fhir_validator.validate({"resourceType": "Observation", "status": 7, "code": {"text": "x"}}))
    assert any(i.location.startswith("Observation.status") for i in found), "\n".join(map(str, found))


def _raw_post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.java
@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"not json", 400, "request body is not a JSON object"),
        (b'{"resources": []}', 400, "request needs 'items': a list of {resource, profiles}"),
        (b'{"items": [{"profiles": []}]}', 400, "items[0] needs a 'resource'"),
    ],
)
def test_service_rejects_malformed_requests(
    fhir_validator: FhirValidator, body: bytes, status: int, message: str
) -> None:
    assert _raw_post(fhir_validator.url + "/validate", body) == (status, {"error": message})


@pytest.mark.java
def test_service_health_and_method_checks(fhir_validator: FhirValidator) -> None:
    with urllib.request.urlopen(fhir_validator.url + "/healthz", timeout=10) as response:
        assert json.loads(response.read()) == {"status": "ok"}
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(fhir_validator.url + "/validate", timeout=10)
    assert caught.value.code == 405


@pytest.mark.java
def test_stopped_service_is_reported_unreachable(tmp_path: Path) -> None:
    validator = FhirValidator(definitions=[paths.TERMINOLOGY]).start()
    url = validator.url
    validator.process.stop()
    with pytest.raises(ValidatorError, match=rf"validator at {url} is not reachable"):
        validator.validate({"resourceType": "Patient"})
    validator.stop()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    jar = build.build_jar(build.VALIDATOR)
    return subprocess.run(["java", "-jar", str(jar), *args], capture_output=True, text=True, timeout=300)


@pytest.mark.java
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "expected a command: serve, validate, snapshot, reencode or core-package"),
        (("check",), "unknown command 'check'; expected serve, validate, snapshot, reencode or core-package"),
        (("validate", "--defs"), "option '--defs' needs a value"),
        (("validate", "--colour", "red"), "unknown option '--colour'"),
        (("validate",), "validate: expected at least one FILE"),
        (("validate", "--defs", "/nonexistent", "x.json"), "/nonexistent: not a directory"),
        (("serve", "--port", "70000"), "--port '70000' is not a port number (0-65535)"),
        (("reencode", "--in", "a"), "reencode: expected pairs of --in DIR --out DIR; found 1 --in and 0 --out"),
        (("snapshot", "--out", "x"), "expected exactly one --in; found 0"),
    ],
)
def test_command_line_errors(args: tuple[str, ...], message: str) -> None:
    done = _cli(*args)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"fpcds-validator: error: {message}"


@pytest.mark.java
def test_command_line_validates_files(tmp_path: Path) -> None:
    good = paths.EXAMPLES / "Observation-graded-hb-grade.json"
    bad = tmp_path / "bad.json"
    resource = json.loads(good.read_text())
    resource["valueCodeableConcept"]["coding"][0]["code"] = "HB-VII"
    bad.write_text(json.dumps(resource))
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    done = _cli(
        "validate", "--defs", str(paths.RESOURCES), "--defs", str(paths.TERMINOLOGY), str(good), str(bad), str(broken)
    )
    assert done.returncode == 1
    results = json.loads(done.stdout)["results"]
    assert [r["file"] for r in results] == [str(good), str(bad), str(broken)]
    assert not [i for i in results[0]["issues"] if i["severity"] == "error"]
    assert any("HB-VII" in i["message"] for i in results[1]["issues"] if i["severity"] == "error")
    issue = results[2]["issues"][0]
    assert issue["severity"] == "fatal" and issue["message"].startswith("The content is not valid JSON: ")


@pytest.mark.java
def test_snapshot_of_a_profile_with_an_unknown_base_fails(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "StructureDefinition-orphan.json").write_text(json.dumps({
        "resourceType": "StructureDefinition", "id": "orphan",
        "url": "http://fpcds.example.org/fhir/StructureDefinition/orphan",
        "name": "Orphan", "status": "draft", "fhirVersion": "4.0.1", "kind": "resource", "abstract": False,
        "type": "Observation", "baseDefinition": "http://example.org/StructureDefinition/nowhere",
        "derivation": "constraint",
        "differential": {"element": [{"id": "Observation.code", "path": "Observation.code", "min": 1}]},
    }))
    done = _cli(
        "snapshot", "--defs", str(paths.TERMINOLOGY), "--in", str(tmp_path / "in"), "--out", str(tmp_path / "out")
    )
    assert done.returncode != 0
    assert "http://example.org/StructureDefinition/nowhere" in done.stderr
