package org.fpcds.validator;

import java.util.Arrays;
import org.hl7.fhir.utilities.http.ManagedWebAccess;

/**
 * Entry point of the fpcds FHIR R4 validator.
 *
 * <pre>
 * serve        --defs DIR... [--port N]             HTTP validation service on 127.0.0.1
 * validate     --defs DIR... [--profile URL]... FILE...   validate files, print JSON issues
 * snapshot     --defs DIR... --in DIR --out DIR     generate snapshots of differential profiles
 * reencode     --in DIR --out DIR                   re-encode JSON resources in FHIR element order
 * core-package --out DIR                           write the hl7.fhir.r4.core#4.0.1 NPM package
 * </pre>
 *
 * Nothing here contacts the network: every definition comes from the HAPI
 * validation-resources jar or from the given directories.
 */
public final class Main {

	private Main() {}

	public static void main(String[] argv) {
		// Offline by construction: the FHIR core libraries may not open any URL
		// (no package registry, no terminology server, no build lists).
		ManagedWebAccess.setAccessPolicy(ManagedWebAccess.WebAccessPolicy.PROHIBITED);
		if (argv.length == 0) {
			fail("expected a command: serve, validate, snapshot, reencode or core-package");
		}
		try {
			Args args = Args.parse(Arrays.copyOfRange(argv, 1, argv.length));
			int status = switch (argv[0]) {
				case "serve" -> ServeCommand.run(args);
				case "validate" -> ValidateCommand.run(args);
				case "snapshot" -> SnapshotCommand.run(args);
				case "reencode" -> ReencodeCommand.run(args);
				case "core-package" -> CorePackageCommand.run(args);
				default -> throw new UsageException("unknown command '" + argv[0]
						+ "'; expected serve, validate, snapshot, reencode or core-package");
			};
			System.exit(status);
		} catch (UsageException e) {
			fail(e.getMessage());
		}
	}

	private static void fail(String message) {
		System.err.println("fpcds-validator: error: " + message);
		System.exit(2);
	}
}
