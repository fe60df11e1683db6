"""Simulated patients for the sandbox EHR (all people here are invented).

Each patient has a Patient resource and a Condition *Bell's palsy* (SNOMED
CT 193093009) with its onset date; some have earlier facial gradings a
clinician recorded: coded Observations with the same codes and values fpcds
writes for its own results (fpcds CodeSystem ``hb-grade`` with an ``HB-I`` ..
``HB-VI`` value, ``sunnybrook-composite`` with a ``{score}`` quantity),
category survey, a clinician-grading method (text) and the seeded
Practitioner as performer, so the chart history reads both alike. Seeding
is one transaction of conditional creates keyed by identifiers, so running
it again creates nothing twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import requests

from ..fhir.terminology import category, concept, quantity
from .errors import SandboxError

MRN_SYSTEM = "urn:fpcds:sandbox:mrn"
RECORD_SYSTEM = "urn:fpcds:sandbox:record"
SNOMED = "http://snomed.info/sct"
BELLS_PALSY = "193093009"


@dataclass(frozen=True)
class SimulatedPatient:
    mrn: str
    given: str
    family: str
    gender: str
    birth_date: str
    side: str
    onset: str
    earlier: tuple[tuple[str, str, str], ...] = ()  # (date, "HB" or "SB", HB grade I-VI or Sunnybrook 0-100)


PATIENTS: tuple[SimulatedPatient, ...] = (
    SimulatedPatient("SB-1001", "Ana", "Souza", "female", "1979-04-12", "left", "2026-10-28",
                     (("2026-11-04", "HB", "IV"), ("2026-11-04", "SB", "38"), ("2026-10-30", "HB", "V"),
                      ("2026-10-30", "SB", "24"))),
    SimulatedPatient("SB-1002", "Jonas", "Berg", "male", "1962-09-03", "right", "2026-09-15",
                     (("2026-09-22", "HB", "III"), ("2026-10-20", "HB", "II"))),
    SimulatedPatient("SB-1003", "Mei", "Tanaka", "female", "1995-01-27", "left", "2026-11-18"),
    SimulatedPatient("SB-1004", "Samuel", "Okafor", "male", "1948-11-30", "right", "2026-08-02",
                     (("2026-10-01", "SB", "62"),)),
    SimulatedPatient("SB-1005", "Lena", "Fischer", "female", "2003-06-18", "left", "2026-11-21"),
)
PRACTITIONER = {"identifier": "PR-0001", "given": "Sam", "family": "Rivera"}
#: Observation.method text of the seeded clinician gradings, by scale.
CLINICIAN_METHOD = {
    "HB": "Clinician grading: House-Brackmann facial nerve grading system, graded at the bedside.",
    "SB": "Clinician grading: Sunnybrook Facial Grading System (composite = voluntary movement - resting "
          "symmetry - synkinesis), graded at the bedside.",
}


@dataclass(frozen=True)
class SeededPatient:
    id: str
    mrn: str
    name: str
    gender: str
    birth_date: str


@dataclass(frozen=True)
class SeedResult:
    practitioner_id: str
    patients: tuple[SeededPatient, ...]


def _entry(resource: dict, identifier: str, full_url: str | None = None) -> dict:
    system = MRN_SYSTEM if resource["resourceType"] in ("Patient", "Practitioner") else RECORD_SYSTEM
    resource["identifier"] = [{"system": system, "value": identifier}]
    return {
        "fullUrl": full_url or f"urn:uuid:{uuid.uuid4()}",
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"], "ifNoneExist": f"identifier={system}|{identifier}"},
    }


def _observation(p: SimulatedPatient, subject: str, performer: dict, date: str, kind: str, value: str,
                 n: int) -> dict:
    """An earlier clinician grading, coded like fpcds's own House-Brackmann / Sunnybrook results."""
    hb = kind == "HB"
    obs: dict = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{**category("survey")["coding"][0], "display": "Survey"}]}],
        "code": (concept("hb-grade", "House-Brackmann grade (clinician grading)") if hb
                 else concept("sunnybrook-composite", "Sunnybrook composite score (clinician grading)")),
        "subject": {"reference": subject},
        "effectiveDateTime": date,
        "performer": [performer],
    }
    if hb:
        obs["valueCodeableConcept"] = concept(f"HB-{value}")
    else:
        obs["valueQuantity"] = quantity(float(value), "{score}", digits=1)
    obs["note"] = [{"text": f"Earlier clinical grading ({p.side} side affected); simulated record."}]
    obs["method"] = {"text": CLINICIAN_METHOD[kind]}
    return _entry(obs, f"{p.mrn}-grading-{n}")


def seed_bundle() -> dict:
    """The transaction Bundle that creates the simulated clinician and patients (conditionally)."""
    practitioner_url = f"urn:uuid:{uuid.uuid4()}"
    name = f"Dr. {PRACTITIONER['given']} {PRACTITIONER['family']}"
    performer = {"reference": practitioner_url, "display": name}
    entries = [_entry({"resourceType": "Practitioner", "active": True,
                       "name": [{"given": [PRACTITIONER["given"]], "family": PRACTITIONER["family"],
                                 "prefix": ["Dr."]}]}, PRACTITIONER["identifier"], practitioner_url)]
    for p in PATIENTS:
        full = f"urn:uuid:{uuid.uuid4()}"
        entries.append(_entry({
            "resourceType": "Patient", "active": True,
            "name": [{"use": "official", "given": [p.given], "family": p.family}],
            "gender": p.gender, "birthDate": p.birth_date,
        }, p.mrn, full))
        entries.append(_entry({
            "resourceType": "Condition",
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "code": {"coding": [{"system": SNOMED, "code": BELLS_PALSY, "display": "Bell's palsy"}],
                     "text": "Bell's palsy"},
            "subject": {"reference": full},
            "onsetDateTime": p.onset,
            "note": [{"text": f"Peripheral facial palsy, {p.side} side; simulated record."}],
        }, f"{p.mrn}-cond"))
        for n, (date, kind, value) in enumerate(p.earlier, start=1):
            entries.append(_observation(p, full, performer, date, kind, value, n))
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _one(http: requests.Session, base: str, rtype: str, system: str, value: str) -> dict:
    resp = http.get(f"{base}/{rtype}", params={"identifier": f"{system}|{value}"},
                    headers={"Accept": "application/fhir+json"}, timeout=10)
    resp.raise_for_status()
    entries = resp.json().get("entry") or []
    if len(entries) != 1:
        raise SandboxError(f"seeding left {len(entries)} {rtype} resources with identifier {value}; expected 1")
    return entries[0]["resource"]


def seed(fhir_base: str, *, http: requests.Session | None = None) -> SeedResult:
    """Create the simulated data on the FHIR server at ``fhir_base`` (idempotent) and return the ids.

    Raises
    ------
    SandboxError
        The server refused the transaction.
    """
    http = http or requests.Session()
    base = fhir_base.rstrip("/")
    resp = http.post(base, json=seed_bundle(), headers={"Content-Type": "application/fhir+json",
                                                        "Accept": "application/fhir+json"}, timeout=30)
    if resp.status_code >= 300:
        raise SandboxError(f"the sandbox FHIR server refused the seed transaction (HTTP {resp.status_code}): "
                           f"{resp.text[:300]}")
    practitioner = _one(http, base, "Practitioner", MRN_SYSTEM, PRACTITIONER["identifier"])
    seeded = []
    for p in PATIENTS:
        res = _one(http, base, "Patient", MRN_SYSTEM, p.mrn)
        seeded.append(SeededPatient(res["id"], p.mrn, f"{p.given} {p.family}", p.gender, p.birth_date))
    return SeedResult(practitioner["id"], tuple(seeded))
