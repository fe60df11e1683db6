"""``fpcds fhir-bundle ASSESSMENT.json --patient ID --out BUNDLE.json``: the FHIR R4 transaction of an assessment.

Maps a stored assessment (``fpcds assess --json``) to the transaction Bundle
that the plugin writes to the EHR (see :mod:`plugin.fhir.mapping`): without
``--approve`` everything is preliminary and the care plan a proposal; with
``--approve --approver Practitioner/ID`` it is the approved write-back.
``--features`` (``fpcds features --json``) or ``--session`` (the session
file, checked against the assessment's hash) add the measure Observations,
the recording time and the facts the care plan needs (age, days since onset).
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("fhir-bundle", help="map an assessment to a FHIR R4 transaction Bundle")
    p.add_argument("assessment", metavar="ASSESSMENT.json", help="assessment JSON (fpcds assess --json)")
    p.add_argument("--patient", required=True, metavar="ID", help="the patient's FHIR id (or Patient/ID)")
    p.add_argument("--out", required=True, metavar="BUNDLE.json", help="where to write the Bundle")
    p.add_argument("--features", metavar="FEATURES.json", help="the session's feature table (fpcds features --json)")
    p.add_argument("--session", metavar="SESSION", help="the session file (its hash must match the assessment's)")
    p.add_argument("--report", metavar="REPORT.pdf", help="the PDF report, carried by the DiagnosticReport")
    p.add_argument("--approve", action="store_true", help="the clinician approved: final report, active care plan")
    p.add_argument("--approver", metavar="Practitioner/ID", help="the approving clinician (with --approve)")
    p.add_argument("--approved-at", metavar="TIME", help="approval time, ISO 8601 with timezone (default: now)")
    p.add_argument("--recorded-at", metavar="TIME", help="recording time of the session (default: from --session)")
    p.add_argument("--previous", metavar="ASSESSMENT.json", help="an earlier assessment of the same patient")
    p.set_defaults(handler=run)


def _read_json(path: str, what: str) -> Any:
    from plugin.fhir.errors import FhirMappingError

    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise FhirMappingError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FhirMappingError(f"{path}: the {what} is not valid JSON ({exc})") from None


def _read_pdf(path: str) -> bytes:
    from plugin.fhir.errors import FhirMappingError

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise FhirMappingError(f"{path}: cannot read the report ({exc.strerror or exc})") from None
    if not data.startswith(b"%PDF-"):
        raise FhirMappingError(f"{path}: the report is not a PDF (it does not start with '%PDF-')")
    return data


def _session(path: str, session_sha256: str | None) -> tuple[Any, str]:
    """The session and its content hash; raises when the hash differs from the assessment's."""
    from acquisition.native import SUFFIX, content_hash, stored_hash
    from acquisition.readers import read_any
    from plugin.fhir.errors import FhirMappingError

    session = read_any(path)
    digest = stored_hash(path) if path.lower().endswith(SUFFIX) else content_hash(session)
    if session_sha256 is not None and digest != session_sha256:
        raise FhirMappingError(f"{path}: session content SHA-256 {digest[:16]}... differs from the assessment's "
                               f"{session_sha256[:16]}...; expected the session the assessment was made from")
    return session, digest


def _write(path: str, text: str) -> None:
    from plugin.fhir.errors import FhirMappingError

    target = Path(path)
    tmp = target.with_name(target.name + ".partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        raise FhirMappingError(f"{path}: cannot write the bundle ({exc.strerror or exc})") from None


def summary(bundle: dict[str, Any]) -> str:
    """One line about a bundle (no patient data)."""
    resources = [e["resource"] for e in bundle["entry"]]
    count = sum(r["resourceType"] == "Observation" for r in resources)
    report = next(r for r in resources if r["resourceType"] == "DiagnosticReport")
    plan = next((r for r in resources if r["resourceType"] == "CarePlan"), None)
    plan_words = f"CarePlan {plan['status']}/{plan['intent']}" if plan else "no CarePlan (no palsy)"
    key = report["identifier"][0]["value"].split("/")[0]
    return (f"transaction of {len(resources)} entries: {count} Observations, DiagnosticReport {report['status']}, "
            f"{plan_words}, Device, model card, session record, Provenance (assessment {key})")


def run(args: argparse.Namespace) -> int:
    from models.features import extract_features
    from plugin.fhir.errors import FhirMappingError
    from plugin.fhir.mapping import Approval, assessment_bundle, bundle_json

    if args.approve and not args.approver:
        raise FhirMappingError("--approve needs --approver Practitioner/<id> (the approving clinician)")
    if not args.approve and (args.approver or args.approved_at):
        raise FhirMappingError("--approver and --approved-at are only meaningful with --approve")
    assessment = _read_json(args.assessment, "assessment")
    session_sha256 = (assessment.get("session") or {}).get("sha256") if isinstance(assessment, dict) else None
    features: Any = _read_json(args.features, "feature table") if args.features else None
    recorded_at = args.recorded_at
    title = None
    if args.session:
        session, digest = _session(args.session, session_sha256)
        recorded_at = recorded_at or session.recorded_at
        title = Path(args.session).name
        if features is None:
            features = extract_features(session, session_id=digest)
    approval = None
    if args.approve:
        approval = Approval(args.approver, args.approved_at or datetime.now(timezone.utc).isoformat(timespec="seconds"))
    bundle = assessment_bundle(
        assessment, patient=args.patient, features=features,
        report_pdf=_read_pdf(args.report) if args.report else None, approval=approval, recorded_at=recorded_at,
        session_title=title, previous=_read_json(args.previous, "previous assessment") if args.previous else None,
    )
    _write(args.out, bundle_json(bundle))
    print(f"wrote {args.out}: {summary(bundle)}")
    return 0
