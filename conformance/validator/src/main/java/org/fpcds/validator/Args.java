package org.fpcds.validator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Command-line options ({@code --name value}, repeatable) and positional arguments. */
final class Args {

	private static final Set<String> KNOWN = Set.of("defs", "profile", "port", "in", "out");

	private final Map<String, List<String>> options = new HashMap<>();
	private final List<String> positional = new ArrayList<>();

	static Args parse(String[] argv) {
		Args args = new Args();
		for (int i = 0; i < argv.length; i++) {
			String a = argv[i];
			if (a.startsWith("--")) {
				String name = a.substring(2);
				if (!KNOWN.contains(name)) {
					throw new UsageException("unknown option '" + a + "'");
				}
				if (i + 1 >= argv.length) {
					throw new UsageException("option '" + a + "' needs a value");
				}
				args.options.computeIfAbsent(name, k -> new ArrayList<>()).add(argv[++i]);
			} else {
				args.positional.add(a);
			}
		}
		return args;
	}

	List<String> all(String name) {
		return options.getOrDefault(name, List.of());
	}

	List<Path> paths(String name) {
		return all(name).stream().map(Path::of).toList();
	}

	String one(String name) {
		List<String> values = all(name);
		if (values.size() != 1) {
			throw new UsageException("expected exactly one --" + name + "; found " + values.size());
		}
		return values.get(0);
	}

	String oneOr(String name, String fallback) {
		return all(name).isEmpty() ? fallback : one(name);
	}

	List<String> positional() {
		return positional;
	}
}
