package org.fpcds.validator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.context.support.IValidationSupport;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.UnknownCodeSystemWarningValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.Questionnaire;

/**
 * The offline validation support chain: our definitions, the R4 core
 * definitions, snapshot generation and in-memory terminology. No module here
 * reaches a remote terminology server or package registry.
 *
 * @param chain the chain to validate with
 * @param ours  the module holding our definitions (snapshot generation adds to it)
 */
record SupportChains(ValidationSupportChain chain, PrePopulatedValidationSupport ours) {

	/**
	 * Builds the chain.
	 *
	 * @param definitions our StructureDefinitions, CodeSystems and ValueSets.
	 *                    They come first in the chain. A CodeSystem with content
	 *                    {@code fragment} whose system R4 also defines is merged
	 *                    into a copy of the R4 one (see {@link FragmentMerger}).
	 * @param caching     false when definitions are added while the chain is in
	 *                    use (snapshot generation), so that nothing stale is served
	 */
	static SupportChains create(FhirContext ctx, List<IBaseResource> definitions, boolean caching) {
		DefaultProfileValidationSupport core = new DefaultProfileValidationSupport(ctx);
		PrePopulatedValidationSupport ours = new PrePopulatedValidationSupport(ctx);
		QuestionnaireSupport questionnaires = new QuestionnaireSupport(ctx);
		for (IBaseResource r : definitions) {
			if (r instanceof Questionnaire q) {
				questionnaires.add(q);
			} else if (r instanceof CodeSystem cs && cs.getContent() == CodeSystem.CodeSystemContentMode.FRAGMENT
					&& core.fetchCodeSystem(cs.getUrl()) instanceof CodeSystem base) {
				ours.addResource(FragmentMerger.merge(base, cs));
			} else {
				ours.addResource(r);
			}
		}
		UnknownCodeSystemWarningValidationSupport unknownSystems = new UnknownCodeSystemWarningValidationSupport(ctx);
		// Codes from systems nobody here knows (SNOMED CT, LOINC, ...) are warnings, not errors.
		unknownSystems.setNonExistentCodeSystemSeverity(IValidationSupport.IssueSeverity.WARNING);
		List<IValidationSupport> modules = List.of(
				ours,
				questionnaires,
				core,
				new SnapshotGeneratingValidationSupport(ctx),
				new InMemoryTerminologyServerValidationSupport(ctx),
				new CommonCodeSystemsTerminologyService(ctx),
				unknownSystems);
		ValidationSupportChain.CacheConfiguration cache = caching
				? ValidationSupportChain.CacheConfiguration.defaultValues()
				: ValidationSupportChain.CacheConfiguration.disabled();
		return new SupportChains(new ValidationSupportChain(cache, modules), ours);
	}
}
