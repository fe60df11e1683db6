package org.fpcds.validator;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code validate --defs DIR... [--profile URL]... FILE...}: validates each file
 * in one JVM and prints {@code {"results": [{"file", "issues"}]}}. Exit status
 * 0 when no file has an error or fatal issue, 1 otherwise.
 */
final class ValidateCommand {

	private ValidateCommand() {}

	static int run(Args args) {
		if (args.positional().isEmpty()) {
			throw new UsageException("validate: expected at least one FILE");
		}
		ResourceValidator validator = Validators.fromDirectories(args.paths("defs"));
		JsonArray results = new JsonArray();
		boolean failed = false;
		for (String name : args.positional()) {
			String text = read(Path.of(name));
			JsonArray issues = validator.validate(text, args.all("profile"));
			for (JsonElement issue : issues) {
				String severity = issue.getAsJsonObject().get("severity").getAsString();
				failed |= severity.equals("error") || severity.equals("fatal");
			}
			JsonObject result = new JsonObject();
			result.addProperty("file", name);
			result.add("issues", issues);
			results.add(result);
		}
		JsonObject out = new JsonObject();
		out.add("results", results);
		System.out.println(new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(out));
		return failed ? 1 : 0;
	}

	private static String read(Path file) {
		try {
			return Files.readString(file, StandardCharsets.UTF_8);
		} catch (IOException e) {
			throw new UsageException(file + ": cannot read: " + e.getMessage(), e);
		}
	}
}
