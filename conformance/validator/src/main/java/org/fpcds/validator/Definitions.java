package org.fpcds.validator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.hl7.fhir.instance.model.api.IBaseResource;

/** Reads conformance resources (JSON files) from directories, in a stable order. */
final class Definitions {

	/** The resource types a validation support chain can use. */
	static final Set<String> CONFORMANCE_TYPES = Set.of("StructureDefinition", "CodeSystem", "ValueSet", "Questionnaire");

	private Definitions() {}

	/**
	 * Every StructureDefinition, CodeSystem and ValueSet in the given directories
	 * (searched recursively, files sorted by path); other resource types are skipped.
	 */
	static List<IBaseResource> load(FhirContext ctx, List<Path> dirs) {
		List<IBaseResource> out = new ArrayList<>();
		for (Path dir : dirs) {
			for (Path file : jsonFiles(dir)) {
				IBaseResource resource = parse(ctx, file);
				if (CONFORMANCE_TYPES.contains(ctx.getResourceType(resource))) {
					out.add(resource);
				}
			}
		}
		return out;
	}

	static List<Path> jsonFiles(Path dir) {
		if (!Files.isDirectory(dir)) {
			throw new UsageException(dir + ": not a directory");
		}
		try (Stream<Path> walk = Files.walk(dir)) {
			return walk.filter(p -> p.getFileName().toString().endsWith(".json"))
					.filter(Files::isRegularFile)
					.sorted()
					.toList();
		} catch (IOException e) {
			throw new UsageException(dir + ": cannot list files: " + e.getMessage(), e);
		}
	}

	static IBaseResource parse(FhirContext ctx, Path file) {
		try {
			String text = Files.readString(file, StandardCharsets.UTF_8);
			return ctx.newJsonParser().parseResource(text);
		} catch (IOException e) {
			throw new UsageException(file + ": cannot read: " + e.getMessage(), e);
		} catch (DataFormatException e) {
			throw new UsageException(file + ": not a FHIR JSON resource: " + e.getMessage(), e);
		}
	}
}
