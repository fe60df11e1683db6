package org.fpcds.validator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.ValidationSupportContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.CanonicalType;
import org.hl7.fhir.r4.model.ElementDefinition;
import org.hl7.fhir.r4.model.StructureDefinition;

/**
 * {@code snapshot --defs DIR... --in DIR --out DIR}: generates the snapshot of
 * every differential StructureDefinition in {@code --in} with HAPI's snapshot
 * generator (the one the validator itself uses) and writes
 * {@code StructureDefinition-ID.json} files to {@code --out}. Profiles are
 * processed bases first, so a profile on one of ours sees its base's snapshot.
 * {@code --defs} supplies the CodeSystems and ValueSets the profiles bind to.
 */
final class SnapshotCommand {

	/** Where generated definitions link to (our canonical base). */
	static final String WEB_URL = "http://fpcds.example.org/fhir";

	private SnapshotCommand() {}

	static int run(Args args) {
		FhirContext ctx = FhirContext.forR4Cached();
		Path in = Path.of(args.one("in"));
		Path out = Path.of(args.one("out"));
		SupportChains chains = SupportChains.create(ctx, Definitions.load(ctx, args.paths("defs")), false);
		PrePopulatedValidationSupport ours = chains.ours();
		ValidationSupportChain chain = chains.chain();

		Map<String, StructureDefinition> byUrl = new LinkedHashMap<>();
		for (Path file : Definitions.jsonFiles(in)) {
			IBaseResource r = Definitions.parse(ctx, file);
			if (r instanceof StructureDefinition sd) {
				if (!sd.hasUrl()) {
					throw new UsageException(file + ": StructureDefinition has no url");
				}
				byUrl.put(sd.getUrl(), sd);
			}
		}
		try {
			Files.createDirectories(out);
		} catch (IOException e) {
			throw new UsageException(out + ": cannot create: " + e.getMessage(), e);
		}
		for (StructureDefinition sd : dependencyOrder(byUrl)) {
			StructureDefinition input = sd.copy();
			input.setSnapshot(null);
			IBaseResource generated = chain.generateSnapshot(
					new ValidationSupportContext(chain), input, input.getUrl(), WEB_URL, input.getName());
			if (!(generated instanceof StructureDefinition result) || result.getSnapshot().getElement().isEmpty()) {
				throw new UsageException(sd.getUrl() + ": no snapshot was generated; is its base definition '"
						+ sd.getBaseDefinition() + "' known?");
			}
			ours.addStructureDefinition(result);
			write(ctx, out.resolve("StructureDefinition-" + result.getIdElement().getIdPart() + ".json"), result);
			System.err.println("snapshot: " + result.getUrl() + " (" + result.getSnapshot().getElement().size()
					+ " elements)");
		}
		return 0;
	}

	/** Profiles ordered so that each comes after the profiles of ours it derives from or uses. */
	private static List<StructureDefinition> dependencyOrder(Map<String, StructureDefinition> byUrl) {
		List<StructureDefinition> ordered = new ArrayList<>();
		Set<String> done = new HashSet<>();
		Set<String> visiting = new HashSet<>();
		for (String url : byUrl.keySet()) {
			visit(url, byUrl, done, visiting, ordered);
		}
		return ordered;
	}

	private static void visit(String url, Map<String, StructureDefinition> byUrl, Set<String> done,
			Set<String> visiting, List<StructureDefinition> ordered) {
		if (done.contains(url) || !byUrl.containsKey(url)) {
			return;
		}
		if (!visiting.add(url)) {
			throw new UsageException(url + ": circular dependency between profiles");
		}
		StructureDefinition sd = byUrl.get(url);
		visit(sd.getBaseDefinition(), byUrl, done, visiting, ordered);
		for (ElementDefinition e : sd.getDifferential().getElement()) {
			for (ElementDefinition.TypeRefComponent type : e.getType()) {
				for (CanonicalType profile : type.getProfile()) {
					visit(profile.getValue(), byUrl, done, visiting, ordered);
				}
			}
		}
		visiting.remove(url);
		done.add(url);
		ordered.add(sd);
	}

	static void write(FhirContext ctx, Path file, IBaseResource resource) {
		try {
			Files.writeString(file, ctx.newJsonParser().setPrettyPrint(true).encodeResourceToString(resource) + "\n",
					StandardCharsets.UTF_8);
		} catch (IOException e) {
			throw new UsageException(file + ": cannot write: " + e.getMessage(), e);
		}
	}
}
