"""SMART v2 / v1 scope arithmetic."""

from __future__ import annotations

import pytest

from plugin.smart.scopes import (REQUIRED_SCOPES, for_ehr_launch, for_standalone, is_v2_scope, missing_scopes,
                                 parse_resource_scope, to_v1)


def test_parse_v2_and_v1():
    assert parse_resource_scope("patient/Observation.cu").perms == frozenset("cu")
    assert parse_resource_scope("user/*.rs").resource == "*"
    assert parse_resource_scope("patient/Observation.read").perms == frozenset("rs")
    assert parse_resource_scope("patient/Observation.write").perms == frozenset("cud")
    assert parse_resource_scope("patient/Observation.rs?category=laboratory").query == "?category=laboratory"
    assert parse_resource_scope("openid") is None
    assert parse_resource_scope("patient/Observation.uc") is None  # v2 letters must be in c-r-u-d-s order
    assert is_v2_scope("patient/Patient.r") and not is_v2_scope("patient/Patient.read")


@pytest.mark.parametrize("granted, missing", [
    ("patient/Patient.r patient/Observation.cu patient/DiagnosticReport.cu patient/CarePlan.cu patient/Provenance.c", ()),
    ("patient/*.cruds", ()),
    ("patient/*.read patient/*.write", ()),
    ("patient/Patient.read patient/Observation.write patient/DiagnosticReport.write patient/CarePlan.write "
     "patient/Provenance.write", ()),
    ("patient/Patient.r patient/Observation.c patient/DiagnosticReport.cu patient/CarePlan.cu patient/Provenance.c",
     ("patient/Observation.cu",)),
    ("user/*.cruds", REQUIRED_SCOPES),  # a different context does not count
    ("patient/Observation.cu?category=survey patient/*.r patient/DiagnosticReport.cu patient/CarePlan.cu "
     "patient/Provenance.c", ("patient/Observation.cu",)),  # restricted by a query: not enough
    ("", REQUIRED_SCOPES),
])
def test_missing_required_scopes(granted, missing):
    assert missing_scopes(granted, REQUIRED_SCOPES) == missing


def test_plain_scopes_must_be_granted_literally():
    assert missing_scopes("openid", ["openid", "fhirUser"]) == ("fhirUser",)


def test_to_v1():
    assert to_v1(["launch", "patient/Observation.crus", "patient/Patient.r", "patient/Provenance.c"]) == (
        "launch", "patient/Observation.read", "patient/Observation.write", "patient/Patient.read",
        "patient/Provenance.write")


def test_launch_kinds():
    assert for_standalone(["launch", "openid"]) == ("launch/patient", "openid")
    assert for_standalone(["openid"]) == ("launch/patient", "openid")
    assert for_ehr_launch(["launch/patient", "openid"]) == ("launch", "openid")
