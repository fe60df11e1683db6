"""The Provenance of the AI outputs: AI Device as author, approving clinician as verifier, session as input."""

from __future__ import annotations

from typing import Sequence

from . import ids
from .common import Context, Entry
from .narrative import narrative
from .terminology import DATA_OPERATION, PARTICIPANT_TYPE


def _agent(code: str, display: str, who: dict[str, str]) -> dict:
    return {"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": code, "display": display}]}, "who": who}


def provenance(ctx: Context, targets: Sequence[Entry], report: Entry, *, approver: str | None,
               approved_at: str | None) -> Entry:
    """Provenance of ``targets``; created once per report (``ifNoneExist: target=<report>``)."""
    agents = [_agent("author", "Author", ctx.device.reference)]
    if approver is not None:
        agents.append(_agent("verifier", "Verifier", {"reference": approver}))
    session = ctx.session.resource["identifier"][0]
    who = f"approved by {approver} at {approved_at}" if approver else "not yet approved by a clinician"
    resource = {
        "resourceType": "Provenance",
        "meta": {"profile": [ids.profile(ids.PROVENANCE)]},
        "text": narrative("Provenance of an fpcds assessment",
                          [f"Authored by the fpcds AI models (model set {ctx.view.set_version}) at "
                           f"{ctx.view.inferred_at}, derived from the session with SHA-256 {session['value']}; {who}.",
                           ctx.statement()]),
        "target": [e.reference for e in targets],
        "occurredDateTime": ctx.view.inferred_at,
        "recorded": approved_at if approver else ctx.view.inferred_at,
        "activity": {"coding": [{"system": DATA_OPERATION, "code": "CREATE", "display": "create"}]},
        "agent": agents,
        "entity": [{"role": "derivation",
                    "what": {"reference": ctx.session.full_url, "identifier": dict(session),
                             "display": f"fpcds session {session['value'][:16]}"}}],
    }
    full = ids.full_url(ids.output_identifier(ctx.view.key, "provenance"), "Provenance")
    return Entry(full, resource, f"target={report.full_url}")
