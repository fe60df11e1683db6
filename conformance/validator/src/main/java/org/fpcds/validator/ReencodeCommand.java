package org.fpcds.validator;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.parser.DataFormatException;
import ca.uhn.fhir.parser.IParser;
import ca.uhn.fhir.parser.StrictErrorHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hl7.fhir.instance.model.api.IBaseResource;

/**
 * {@code reencode --in DIR --out DIR [--in DIR --out DIR]...}: parses every
 * JSON resource of each {@code --in} directory strictly (an element unknown to
 * FHIR R4 is an error) and writes it to the matching {@code --out} directory
 * under the same file name, pretty-printed in FHIR element order, so that
 * generated files have one stable layout.
 */
final class ReencodeCommand {

	private ReencodeCommand() {}

	static int run(Args args) {
		List<Path> ins = args.paths("in");
		List<Path> outs = args.paths("out");
		if (ins.isEmpty() || ins.size() != outs.size()) {
			throw new UsageException("reencode: expected pairs of --in DIR --out DIR; found " + ins.size()
					+ " --in and " + outs.size() + " --out");
		}
		FhirContext ctx = FhirContext.forR4Cached();
		IParser strict = ctx.newJsonParser().setParserErrorHandler(new StrictErrorHandler());
		for (int i = 0; i < ins.size(); i++) {
			Path out = outs.get(i);
			try {
				Files.createDirectories(out);
			} catch (IOException e) {
				throw new UsageException(out + ": cannot create: " + e.getMessage(), e);
			}
			int count = 0;
			for (Path file : Definitions.jsonFiles(ins.get(i))) {
				IBaseResource resource;
				try {
					resource = strict.parseResource(Files.readString(file, StandardCharsets.UTF_8));
				} catch (DataFormatException e) {
					throw new UsageException(file + ": not valid FHIR R4 JSON: " + e.getMessage(), e);
				} catch (IOException e) {
					throw new UsageException(file + ": cannot read: " + e.getMessage(), e);
				}
				SnapshotCommand.write(ctx, out.resolve(file.getFileName().toString()), resource);
				count++;
			}
			System.err.println("reencode: " + count + " resources to " + out);
		}
		return 0;
	}
}
