"""The session record (DocumentReference): the input of the assessment, identified by its content SHA-256."""

from __future__ import annotations

from . import ids
from .common import Entry
from .inputs import AssessmentView
from .narrative import narrative
from .terminology import concept


def session_identifier(view: AssessmentView) -> dict[str, str]:
    return {"system": ids.SID_SESSION, "value": view.session_sha256}


def session_record(view: AssessmentView, *, patient: str, recorded_at: str | None, title: str | None) -> Entry:
    """The session record of ``patient``.

    Parameters
    ----------
    view : AssessmentView
    patient : str
        ``Patient/<id>``.
    recorded_at : str or None
        FHIR dateTime of the recording (context.period.start), when known.
    title : str or None
        Name of the session file (default: 'fpcds session <hash prefix>').
    """
    identifier = session_identifier(view)
    modalities = view.evidence_words
    description = (f"Facial session recorded with the fpcds standard protocol: {modalities}. Content SHA-256 "
                   f"{view.session_sha256}; the signals stay with fpcds. Analysed by fpcds decision support "
                   f"(model set {view.set_version}; {view.statement}).")
    if recorded_at is None:
        description += " The recording time is unknown."
    resource = {
        "resourceType": "DocumentReference",
        "meta": {"profile": [ids.profile(ids.SESSION_RECORD)]},
        "text": narrative("Facial sEMG and motion session record", [description]),
        "identifier": [identifier],
        "status": "current",
        "type": concept("session-record"),
        "subject": {"reference": patient},
        "date": view.inferred_at,
        "description": description,
        "content": [{"attachment": {"contentType": "application/octet-stream",
                                    "title": title or f"fpcds session {view.session_sha256[:16]}"}}],
    }
    if recorded_at is not None:
        resource["context"] = {"period": {"start": recorded_at}}
    return Entry(ids.full_url(identifier, "DocumentReference"), resource, ids.if_none_exist(identifier))
