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


WRITES = "patient/DiagnosticReport.cs patient/CarePlan.cs patient/Provenance.cs patient/DocumentReference.cs patient/Device.cs"


@pytest.mark.parametrize("granted, missing", [
    (f"patient/Patient.r patient/Observation.cs {WRITES}", ()),
    ("patient/*.cruds", ()),
    ("patient/*.read patient/*.write", ()),
    ("patient/Patient.read patient/Observation.read patient/Observation.write patient/DiagnosticReport.*"
     " patient/CarePlan.* patient/Provenance.* patient/DocumentReference.* patient/Device.*", ()),
    (f"patient/Patient.r patient/Observation.c {WRITES}", ("patient/Observation.cs",)),
    (f"patient/Patient.r patient/Observation.cs {WRITES.replace(' patient/Device.cs', '')}", ("patient/Device.cs",)),
    ("user/*.cruds", REQUIRED_SCOPES),  # a different context does not count
    (f"patient/Observation.cs?category=survey patient/*.r {WRITES}", ("patient/Observation.cs",)),  # restricted by a query
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
