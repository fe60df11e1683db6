package org.fpcds.validator;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.CodeSystem.ConceptDefinitionComponent;

/**
 * Adds the concepts of a newer fragment of a code system to a copy of the
 * complete R4 version of that system. FHIR R4 4.0.1 ships terminology that
 * predates codes we must use (v3-ObservationValue#AIAST); merging keeps every
 * R4 code valid and makes the new ones known, without any network access.
 */
final class FragmentMerger {

	private FragmentMerger() {}

	static CodeSystem merge(CodeSystem complete, CodeSystem fragment) {
		CodeSystem merged = complete.copy();
		Set<String> known = new HashSet<>();
		collect(merged.getConcept(), known);
		for (ConceptDefinitionComponent c : fragment.getConcept()) {
			if (known.add(c.getCode())) {
				merged.addConcept(c.copy());
			}
		}
		return merged;
	}

	private static void collect(List<ConceptDefinitionComponent> concepts, Set<String> into) {
		for (ConceptDefinitionComponent c : concepts) {
			into.add(c.getCode());
			collect(c.getConcept(), into);
		}
	}
}
