package org.fpcds.validator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import java.util.HashMap;
import java.util.Map;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Questionnaire;

/**
 * Our Questionnaires, by canonical URL (with and without {@code |version}), so
 * that the validator checks a QuestionnaireResponse against its Questionnaire.
 */
final class QuestionnaireSupport implements IValidationSupport {

	private final FhirContext ctx;
	private final Map<String, Questionnaire> byUrl = new HashMap<>();

	QuestionnaireSupport(FhirContext ctx) {
		this.ctx = ctx;
	}

	void add(Questionnaire questionnaire) {
		byUrl.put(questionnaire.getUrl(), questionnaire);
		if (questionnaire.hasVersion()) {
			byUrl.put(questionnaire.getUrl() + "|" + questionnaire.getVersion(), questionnaire);
		}
	}

	@Override
	public FhirContext getFhirContext() {
		return ctx;
	}

	@Override
	public String getName() {
		return "fpcds questionnaires";
	}

	@Override
	@SuppressWarnings("unchecked")
	public <T extends IBaseResource> T fetchResource(Class<T> type, String url) {
		Questionnaire found = byUrl.get(url);
		if (found != null && (type == null || type.isInstance(found))) {
			return (T) found;
		}
		return null;
	}
}
