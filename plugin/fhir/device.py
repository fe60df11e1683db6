"""The AI Device (the model set) and its model card (DocumentReference), per HL7 AI Transparency on FHIR.

One Device stands for the deployed model set: identified by set version and
manifest SHA-256, with one version entry per model (model id, version and
ONNX SHA-256). Its model card is a markdown document built from the
assessment's model references and, when given, the models' full cards.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any, Mapping

from models.card import INTENDED_USE, LIMITATIONS

from . import ids
from .common import Entry
from .errors import FhirMappingError
from .inputs import AssessmentView
from .narrative import narrative
from .terminology import AI_DEVICE, concept


def device_identifier(view: AssessmentView) -> dict[str, str]:
    return {"system": ids.SID_MODEL, "value": f"fpcds-models@{ids.safe_token(view.set_version)}/{view.manifest_sha256}"}


def _card_dict(card: Any) -> Mapping[str, Any]:
    return card.to_dict() if hasattr(card, "to_dict") else card


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if math.isfinite(value) else "n/a"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)[:200]
    return str(value)


def model_card_markdown(view: AssessmentView, cards: Mapping[str, Any] | None = None) -> str:
    """The model card of the model set, as markdown.

    Parameters
    ----------
    view : AssessmentView
    cards : dict of str -> ModelCard or dict, optional
        Full cards by model id (their id and version must match the assessment's).
    """
    lines = [f"# fpcds decision-support models {view.set_version}", "",
             f"**{view.statement.capitalize()}.** Every output is a proposal for a clinician to review; it is never "
             "a diagnosis.", "", f"Intended use: {INTENDED_USE}", "", f"Limitations: {LIMITATIONS}", "",
             f"Model-set manifest SHA-256: `{view.manifest_sha256}`", "",
             "| model | version | ONNX SHA-256 | training-data SHA-256 | code version |",
             "| --- | --- | --- | --- | --- |"]
    for m in view.models.values():
        lines.append(f"| {m.id} | {m.version} | `{m.sha256}` | `{m.training_data_sha256}` | {m.code_version} |")
    rules = (view.rule_based or {}).get("rules_version")
    if rules:
        lines += ["", f"Rule-based scores (Sunnybrook, eFACE, House-Brackmann measured form) use the documented "
                      f"thresholds of {rules}; no machine learning."]
    for model_id, card in sorted((cards or {}).items()):
        data = _card_dict(card)
        ref = view.models.get(model_id)
        if ref is None or data.get("model_id") != model_id or data.get("version") != ref.version:
            raise FhirMappingError(f"model card {model_id!r} (version {data.get('version')!r}) does not match the "
                                   f"assessment's models; expected one of {sorted(view.models)} at their versions")
        lines += ["", f"## {model_id}: {data.get('title', '')}", ""]
        if data.get("conditional"):
            lines.append(f"Conditional: {data['conditional']}")
        for section in ("training", "metrics", "calibration"):
            values = data.get(section) or {}
            if isinstance(values, Mapping) and values:
                lines.append(f"- {section}: " + "; ".join(f"{k} {_short(v)}" for k, v in sorted(values.items())))
    lines += ["", "The full card of each model (features, calibration, metrics) is stored in its ONNX file under the "
                  "metadata key `fpcds.model_card`."]
    return "\n".join(lines) + "\n"


def model_card_identifier(view: AssessmentView) -> dict[str, str]:
    return {"system": ids.SID_MODEL_CARD, "value": f"{device_identifier(view)['value']}/model-card"}


def model_card(view: AssessmentView, device: Entry, cards: Mapping[str, Any] | None = None) -> Entry:
    """The model card of the model set, about ``device``."""
    identifier = model_card_identifier(view)
    title = f"fpcds decision-support models {view.set_version}: model card"
    text = model_card_markdown(view, cards)
    resource = {
        "resourceType": "DocumentReference",
        "meta": {"profile": [ids.profile(ids.MODEL_CARD)]},
        "text": narrative(title, [f"Models {', '.join(view.models)}; {view.statement}."]),
        "identifier": [identifier],
        "status": "current",
        "type": concept("model-card"),
        "subject": device.reference,
        "description": (f"Model card of the fpcds decision-support models {view.set_version}: intended use, models "
                        f"and their hashes, training data, limitations ({view.statement})."),
        "content": [{"attachment": {"contentType": "text/markdown", "language": "en",
                                    "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                                    "title": title}}],
    }
    return Entry(ids.full_url(identifier, "DocumentReference"), resource, ids.if_none_exist(identifier))


def ai_device(view: AssessmentView) -> Entry:
    """The Device of the model set, pointing at its model card (:func:`model_card`)."""
    identifier = device_identifier(view)
    card_url = ids.full_url(model_card_identifier(view), "DocumentReference")
    versions = [{"type": {"text": "model set"}, "value": view.set_version}]
    for m in view.models.values():
        versions.append({"type": {"text": f"model {m.id}"}, "component": {"system": ids.SID_ONNX, "value": m.sha256},
                         "value": m.version})
    training = "; ".join(f"{m.id}: training data SHA-256 {m.training_data_sha256}, code {m.code_version}"
                         for m in view.models.values())
    statement = (f"fpcds decision-support models {view.set_version}: {view.statement}. Outputs are proposals for "
                 "clinician review, not diagnoses.")
    resource = {
        "resourceType": "Device",
        "meta": {"profile": [ids.profile(ids.DEVICE)]},
        "text": narrative(f"fpcds decision-support models {view.set_version} (AI)", [statement]),
        "extension": [{"url": ids.MODEL_CARD_EXTENSION, "valueReference": {"reference": card_url}}],
        "identifier": [identifier],
        "status": "active",
        "manufacturer": "fpcds",
        "deviceName": [{"name": f"fpcds facial palsy decision-support models {view.set_version}",
                        "type": "model-name"}],
        "type": {"coding": [dict(AI_DEVICE)], "text": "Artificial intelligence model set"},
        "version": versions,
        "note": [{"text": statement}, {"text": f"Model-set manifest SHA-256 {view.manifest_sha256}. {training}."}],
    }
    return Entry(ids.full_url(identifier, "Device"), resource, ids.if_none_exist(identifier))
