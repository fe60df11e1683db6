package org.fpcds.validator;

import ca.uhn.fhir.context.FhirContext;
import java.nio.file.Path;
import java.util.List;

/** Builds a {@link ResourceValidator} for definitions read from directories. */
final class Validators {

	private Validators() {}

	static ResourceValidator fromDirectories(List<Path> defs) {
		FhirContext ctx = FhirContext.forR4Cached();
		return new ResourceValidator(ctx, SupportChains.create(ctx, Definitions.load(ctx, defs), true).chain());
	}

	/** Validates a small resource once so that the first real request is not slow. */
	static void warmUp(ResourceValidator validator) {
		validator.validate("{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"warm-up\"}}",
				List.of());
	}
}
