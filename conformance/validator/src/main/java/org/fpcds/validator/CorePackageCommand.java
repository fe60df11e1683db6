package org.fpcds.validator;

import ca.uhn.fhir.context.FhirContext;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.CodeSystem;
import org.hl7.fhir.r4.model.Resource;
import org.hl7.fhir.r4.model.StructureDefinition;
import org.hl7.fhir.r4.model.ValueSet;

/**
 * {@code core-package --out DIR}: writes the FHIR R4 (4.0.1) core definitions as
 * an NPM-style FHIR package in {@code DIR/package} ({@code package.json},
 * {@code .index.json}, one JSON file per StructureDefinition, CodeSystem and
 * ValueSet). The definitions are the official R4 bundles that HAPI ships in
 * {@code hapi-fhir-validation-resources-r4}; SUSHI reads the package in place
 * of {@code hl7.fhir.r4.core#4.0.1}, which no reachable registry serves.
 */
final class CorePackageCommand {

	private static final String[] BUNDLES = {
		"/org/hl7/fhir/r4/model/profile/profiles-types.xml",
		"/org/hl7/fhir/r4/model/profile/profiles-resources.xml",
		"/org/hl7/fhir/r4/model/profile/profiles-others.xml",
		"/org/hl7/fhir/r4/model/extension/extension-definitions.xml",
		"/org/hl7/fhir/r4/model/valueset/valuesets.xml",
		"/org/hl7/fhir/r4/model/valueset/v3-codesystems.xml",
		"/org/hl7/fhir/r4/model/valueset/v2-tables.xml",
	};

	private CorePackageCommand() {}

	static int run(Args args) {
		FhirContext ctx = FhirContext.forR4Cached();
		Path dir = Path.of(args.one("out")).resolve("package");
		Map<String, JsonObject> index = new TreeMap<>();
		try {
			Files.createDirectories(dir);
			for (String bundlePath : BUNDLES) {
				for (Bundle.BundleEntryComponent entry : readBundle(ctx, bundlePath).getEntry()) {
					Resource r = entry.getResource();
					if (r instanceof StructureDefinition || r instanceof CodeSystem || r instanceof ValueSet) {
						String type = r.fhirType();
						String file = type + "-" + r.getIdElement().getIdPart() + ".json";
						SnapshotCommand.write(ctx, dir.resolve(file), r);
						index.put(file, indexEntry(file, r));
					}
				}
			}
			JsonArray files = new JsonArray();
			index.values().forEach(files::add);
			JsonObject idx = new JsonObject();
			idx.addProperty("index-version", 1);
			idx.add("files", files);
			Files.writeString(dir.resolve(".index.json"), json(idx), StandardCharsets.UTF_8);
			Files.writeString(dir.resolve("package.json"), json(manifest()), StandardCharsets.UTF_8);
		} catch (IOException e) {
			throw new UsageException(dir + ": cannot write the package: " + e.getMessage(), e);
		}
		System.err.println("core-package: wrote " + index.size() + " resources to " + dir);
		return 0;
	}

	private static Bundle readBundle(FhirContext ctx, String path) throws IOException {
		try (InputStream in = CorePackageCommand.class.getResourceAsStream(path)) {
			if (in == null) {
				throw new UsageException(path + ": not on the class path (is hapi-fhir-validation-resources-r4 there?)");
			}
			try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
				return ctx.newXmlParser().parseResource(Bundle.class, reader);
			}
		}
	}

	private static JsonObject indexEntry(String file, Resource r) {
		JsonObject o = new JsonObject();
		o.addProperty("filename", file);
		o.addProperty("resourceType", r.fhirType());
		o.addProperty("id", r.getIdElement().getIdPart());
		if (r instanceof StructureDefinition sd) {
			o.addProperty("url", sd.getUrl());
			o.addProperty("version", sd.getVersion());
			o.addProperty("kind", sd.getKind().toCode());
			o.addProperty("type", sd.getType());
			if (sd.hasDerivation()) {
				o.addProperty("derivation", sd.getDerivation().toCode());
			}
		} else if (r instanceof CodeSystem cs) {
			o.addProperty("url", cs.getUrl());
			o.addProperty("version", cs.getVersion());
		} else if (r instanceof ValueSet vs) {
			o.addProperty("url", vs.getUrl());
			o.addProperty("version", vs.getVersion());
		}
		return o;
	}

	private static JsonObject manifest() {
		JsonObject p = new JsonObject();
		p.addProperty("name", "hl7.fhir.r4.core");
		p.addProperty("version", "4.0.1");
		p.addProperty("description", "FHIR R4 4.0.1 core definitions, assembled offline by fpcds-validator from"
				+ " ca.uhn.hapi.fhir:hapi-fhir-validation-resources-r4 for SUSHI");
		p.addProperty("type", "Core");
		p.addProperty("canonical", "http://hl7.org/fhir");
		p.addProperty("url", "http://hl7.org/fhir/R4");
		JsonArray versions = new JsonArray();
		versions.add("4.0.1");
		p.add("fhirVersions", versions);
		p.add("dependencies", new JsonObject());
		return p;
	}

	private static String json(JsonObject o) {
		return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
	}
}
