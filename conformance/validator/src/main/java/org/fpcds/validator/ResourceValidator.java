package org.fpcds.validator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationOptions;
import ca.uhn.fhir.validation.ValidationResult;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.util.List;
import java.util.Locale;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;

/**
 * Validates one FHIR R4 JSON resource (or Bundle) against its base definition,
 * the profiles in its {@code meta.profile} and any profiles asked for.
 */
final class ResourceValidator {

	private final FhirValidator validator;
	private final IValidationSupport chain;

	ResourceValidator(FhirContext ctx, IValidationSupport chain) {
		this.chain = chain;
		FhirInstanceValidator module = new FhirInstanceValidator(chain);
		// A profile we do not know is an error, not a silent pass.
		module.setErrorForUnknownProfiles(true);
		validator = ctx.newValidator();
		validator.setValidateAgainstStandardSchema(false);
		validator.setValidateAgainstStandardSchematron(false);
		validator.registerValidatorModule(module);
	}

	/**
	 * The issues found, as JSON objects with severity (information, warning,
	 * error, fatal), FHIRPath location, line, column, message and message id.
	 */
	synchronized JsonArray validate(String resourceJson, List<String> profiles) {
		ValidationOptions options = new ValidationOptions();
		profiles.forEach(options::addProfile);
		JsonArray issues = new JsonArray();
		ValidationResult result;
		try {
			result = validator.validateWithResult(resourceJson, options);
		} catch (JsonParseException | DataFormatException e) {
			issues.add(issue("fatal", "The content is not valid JSON: " + e.getMessage(), "fpcds-not-json"));
			return issues;
		}
		// HAPI silently skips a requested profile it cannot find; a typo must not pass.
		for (String url : profiles) {
			if (chain.fetchStructureDefinition(url) == null) {
				issues.add(unknownProfile(url));
			}
		}
		for (SingleValidationMessage m : result.getMessages()) {
			issues.add(toJson(m));
		}
		return issues;
	}

	private static JsonObject unknownProfile(String url) {
		return issue("error", "Profile '" + url + "' was requested but is not among the loaded definitions;"
				+ " nothing was checked against it", "fpcds-unknown-profile");
	}

	private static JsonObject issue(String severity, String message, String messageId) {
		JsonObject o = new JsonObject();
		o.addProperty("severity", severity);
		o.addProperty("location", "");
		o.add("line", null);
		o.add("column", null);
		o.addProperty("message", message);
		o.addProperty("messageId", messageId);
		return o;
	}

	private static JsonObject toJson(SingleValidationMessage m) {
		JsonObject o = new JsonObject();
		o.addProperty("severity", m.getSeverity().getCode().toLowerCase(Locale.ROOT));
		o.addProperty("location", m.getLocationString());
		o.addProperty("line", m.getLocationLine());
		o.addProperty("column", m.getLocationCol());
		o.addProperty("message", m.getMessage());
		o.addProperty("messageId", m.getMessageId());
		return o;
	}
}
