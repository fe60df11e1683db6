"""Simulated patients on the real FHIR server."""

from __future__ import annotations

import requests

from plugin.sandbox.seed import BELLS_PALSY, PATIENTS, SNOMED, seed


def _count(base: str, rtype: str) -> int:
    return requests.get(f"{base}/{rtype}", params={"_summary": "count"}, timeout=10).json()["total"]


def test_every_patient_has_bells_palsy_and_some_have_earlier_assessments(stack):
    base = stack.fhir.base_url
    seeded = {p.mrn: p for p in stack.seeded.patients}
    assert set(seeded) == {p.mrn for p in PATIENTS}
    for p in PATIENTS:
        conditions = requests.get(f"{base}/Condition", params={"patient": seeded[p.mrn].id}, timeout=10).json()
        codes = [(c["resource"]["code"]["coding"][0]["system"], c["resource"]["code"]["coding"][0]["code"])
                 for c in conditions["entry"]]
        assert codes == [(SNOMED, BELLS_PALSY)]
        observations = requests.get(f"{base}/Observation", params={"patient": seeded[p.mrn].id},
                                    timeout=10).json()
        earlier = [o for o in observations.get("entry", []) if "simulated record" in str(o["resource"].get("note"))]
        assert len(earlier) == len(p.earlier)
    assert sum(1 for p in PATIENTS if p.earlier) >= 2


def test_seeding_twice_creates_nothing_twice(stack):
    base = stack.fhir.base_url
    before = {t: _count(base, t) for t in ("Patient", "Condition", "Practitioner")}
    again = seed(base)
    assert again == stack.seeded
    assert {t: _count(base, t) for t in before} == before
