"""Simulated patients on the real FHIR server: Bell's palsy, earlier clinician gradings coded like fpcds's own."""

from __future__ import annotations

import pytest
import requests

from plugin.fhir.ids import CODE_SYSTEM
from plugin.fhir.terminology import OBSERVATION_CATEGORY, UCUM
from plugin.sandbox.errors import SandboxError
from plugin.sandbox.seed import BELLS_PALSY, CLINICIAN_METHOD, PATIENTS, SNOMED, seed, seed_bundle


def _count(base: str, rtype: str) -> int:
    return requests.get(f"{base}/{rtype}", params={"_summary": "count"}, timeout=10).json()["total"]


def _search(base: str, rtype: str, **params) -> list[dict]:
    return [e["resource"] for e in requests.get(f"{base}/{rtype}", params=params, timeout=10).json().get("entry", [])]


def test_every_patient_has_bells_palsy_and_some_have_earlier_assessments(stack):
    base = stack.fhir.base_url
    seeded = {p.mrn: p for p in stack.seeded.patients}
    assert set(seeded) == {p.mrn for p in PATIENTS}
    for p in PATIENTS:
        conditions = _search(base, "Condition", patient=seeded[p.mrn].id)
        assert [(c["code"]["coding"][0]["system"], c["code"]["coding"][0]["code"], c["onsetDateTime"])
                for c in conditions] == [(SNOMED, BELLS_PALSY, p.onset)]
        earlier = [o for o in _search(base, "Observation", patient=seeded[p.mrn].id)
                   if "simulated record" in str(o.get("note"))]
        assert len(earlier) == len(p.earlier)
    assert sum(1 for p in PATIENTS if p.earlier) >= 2


def test_earlier_gradings_are_coded_like_fpcds_results_and_performed_by_the_clinician(stack):
    base = stack.fhir.base_url
    practitioner = f"Practitioner/{stack.seeded.practitioner_id}"
    for p, seeded in zip(PATIENTS, stack.seeded.patients):
        found = sorted(((o["effectiveDateTime"], o) for o in _search(base, "Observation", patient=seeded.id,
                                                                      category="survey")
                        if "simulated record" in str(o.get("note"))), key=lambda t: (t[0], t[1]["code"]["text"]))
        expected = sorted(p.earlier, key=lambda e: (e[0], e[1]))
        assert len(found) == len(expected)
        for (date, kind, value), (_, obs) in zip(expected, found):
            assert obs["effectiveDateTime"] == date and obs["status"] == "final"
            assert obs["category"][0]["coding"][0]["system"] == OBSERVATION_CATEGORY
            assert obs["performer"] == [{"reference": practitioner, "display": "Dr. Sam Rivera"}]
            assert obs["method"] == {"text": CLINICIAN_METHOD[kind]}
            coding = obs["code"]["coding"][0]
            if kind == "HB":
                assert (coding["system"], coding["code"]) == (CODE_SYSTEM, "hb-grade")
                assert obs["code"]["text"] == "House-Brackmann grade (clinician grading)"
                grade = obs["valueCodeableConcept"]["coding"][0]
                assert (grade["system"], grade["code"]) == (CODE_SYSTEM, f"HB-{value}")
                assert obs["valueCodeableConcept"]["text"].startswith(f"House-Brackmann grade {value} (")
            else:
                assert (coding["system"], coding["code"]) == (CODE_SYSTEM, "sunnybrook-composite")
                assert obs["valueQuantity"] == {"value": float(value), "unit": "score", "system": UCUM,
                                                "code": "{score}"}
    # the fpcds code search that the chart history uses finds them
    coded = _search(base, "Observation", patient=stack.seeded.patients[0].id,
                    code=f"{CODE_SYSTEM}|hb-grade,{CODE_SYSTEM}|sunnybrook-composite")
    assert len(coded) >= len(PATIENTS[0].earlier)


def test_seeding_twice_creates_nothing_twice(stack):
    base = stack.fhir.base_url
    before = {t: _count(base, t) for t in ("Patient", "Condition", "Practitioner", "Observation")}
    again = seed(base)
    assert again == stack.seeded
    assert {t: _count(base, t) for t in before} == before


def test_every_seeded_record_has_its_own_identifier():
    bundle = seed_bundle()
    searches = [e["request"]["ifNoneExist"] for e in bundle["entry"]]
    assert len(set(searches)) == len(searches)
    urls = {e["fullUrl"] for e in bundle["entry"]}
    refs = {o["resource"]["performer"][0]["reference"] for o in bundle["entry"]
            if o["resource"]["resourceType"] == "Observation"}
    assert refs and refs <= urls  # the gradings point at the seeded Practitioner entry


def test_a_refused_seed_is_a_clear_error(stack):
    # the sandbox's own FHIR endpoint wants a bearer token: a real server refusing the transaction
    with pytest.raises(SandboxError, match=r"the sandbox FHIR server refused the seed transaction \(HTTP 401\): "
                                           r".*a bearer token is required"):
        seed(stack.urls["fhir"])
