"""sekmet-fhir as the sandbox runs it: plus the R4 search parameters of QuestionnaireResponse.

sekmet-fhir 0.1.1 indexes no QuestionnaireResponse, so a search by patient or
questionnaire ignores those parameters (and answers with every patient's
responses) and a conditional create on ``identifier`` is refused. The uvicorn
entry point :func:`app_factory` registers the parameters fpcds uses (as R4
defines them) before building sekmet's app.
"""

from __future__ import annotations

from fastapi import FastAPI
from sekmet.fhir.search_params import PARAMS, SearchParam
from sekmet.main import app_factory as sekmet_app_factory

#: R4 QuestionnaireResponse search parameters (``questionnaire`` matched exactly on its canonical, ``url|version``).
QUESTIONNAIRE_RESPONSE: dict[str, SearchParam] = {
    "identifier": SearchParam("identifier", "token", ("identifier",)),
    "patient": SearchParam("patient", "reference", ("subject",), "Patient"),
    "subject": SearchParam("subject", "reference", ("subject",)),
    "questionnaire": SearchParam("questionnaire", "uri", ("questionnaire",)),
    "authored": SearchParam("authored", "date", ("authored",)),
    "status": SearchParam("status", "token", ("status",)),
    "author": SearchParam("author", "reference", ("author",)),
    "source": SearchParam("source", "reference", ("source",)),
}


def app_factory() -> FastAPI:
    """uvicorn ``--factory`` entry point: sekmet's app with the parameters above registered."""
    PARAMS.setdefault("QuestionnaireResponse", {}).update(QUESTIONNAIRE_RESPONSE)
    return sekmet_app_factory()
