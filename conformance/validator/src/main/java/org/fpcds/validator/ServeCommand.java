package org.fpcds.validator;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * {@code serve --defs DIR... [--port N]}: an HTTP validation service on the
 * loopback interface, started once and used for many resources.
 *
 * <ul>
 *   <li>{@code GET /healthz} answers {@code {"status": "ok"}}.</li>
 *   <li>{@code POST /validate} takes {@code {"items": [{"resource": {...},
 *       "profiles": ["url", ...]}, ...]}} and answers {@code {"results":
 *       [{"issues": [...]}, ...]}}, one result per item, in order.</li>
 * </ul>
 *
 * With {@code --port 0} the system picks a free port. Once the validator is
 * loaded and warmed up, one line {@code LISTENING http://127.0.0.1:PORT} is
 * printed on standard output. Request bodies are never logged.
 */
final class ServeCommand {

	private static final Gson GSON = new GsonBuilder().serializeNulls().create();

	private ServeCommand() {}

	static int run(Args args) {
		int port = parsePort(args.oneOr("port", "0"));
		ResourceValidator validator = Validators.fromDirectories(args.paths("defs"));
		Validators.warmUp(validator);
		HttpServer server;
		try {
			server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
		} catch (IOException e) {
			throw new UsageException("cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
		}
		server.createContext("/healthz", exchange -> {
			JsonObject ok = new JsonObject();
			ok.addProperty("status", "ok");
			respond(exchange, 200, ok);
		});
		server.createContext("/validate", exchange -> handleValidate(exchange, validator));
		server.setExecutor(Executors.newSingleThreadExecutor());
		server.start();
		Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
		System.out.println("LISTENING http://127.0.0.1:" + server.getAddress().getPort());
		System.out.flush();
		// Serve until the process is told to stop (SIGTERM runs the shutdown hook).
		try {
			new CountDownLatch(1).await();
		} catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		return 0;
	}

	private static void handleValidate(HttpExchange exchange, ResourceValidator validator) throws IOException {
		try {
			if (!exchange.getRequestMethod().equals("POST")) {
				respond(exchange, 405, error("use POST"));
				return;
			}
			JsonObject request;
			try (InputStream in = exchange.getRequestBody()) {
				request = JsonParser.parseString(new String(in.readAllBytes(), StandardCharsets.UTF_8))
						.getAsJsonObject();
			} catch (JsonParseException | IllegalStateException e) {
				respond(exchange, 400, error("request body is not a JSON object"));
				return;
			}
			JsonElement items = request.get("items");
			if (items == null || !items.isJsonArray()) {
				respond(exchange, 400, error("request needs 'items': a list of {resource, profiles}"));
				return;
			}
			JsonArray results = new JsonArray();
			int index = 0;
			for (JsonElement item : items.getAsJsonArray()) {
				if (!item.isJsonObject() || !item.getAsJsonObject().has("resource")) {
					respond(exchange, 400, error("items[" + index + "] needs a 'resource'"));
					return;
				}
				JsonObject o = item.getAsJsonObject();
				JsonObject result = new JsonObject();
				result.add("issues", validator.validate(GSON.toJson(o.get("resource")), profiles(o)));
				results.add(result);
				index++;
			}
			JsonObject response = new JsonObject();
			response.add("results", results);
			respond(exchange, 200, response);
		} catch (RuntimeException e) {
			respond(exchange, 500, error(e.getClass().getSimpleName() + ": " + e.getMessage()));
		}
	}

	private static List<String> profiles(JsonObject item) {
		List<String> out = new ArrayList<>();
		JsonElement p = item.get("profiles");
		if (p != null && p.isJsonArray()) {
			p.getAsJsonArray().forEach(e -> out.add(e.getAsString()));
		}
		return out;
	}

	private static JsonObject error(String message) {
		JsonObject o = new JsonObject();
		o.addProperty("error", message);
		return o;
	}

	private static void respond(HttpExchange exchange, int status, JsonObject body) throws IOException {
		byte[] bytes = GSON.toJson(body).getBytes(StandardCharsets.UTF_8);
		exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
		exchange.sendResponseHeaders(status, bytes.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(bytes);
		}
	}

	private static int parsePort(String text) {
		try {
			int port = Integer.parseInt(text);
			if (port < 0 || port > 65535) {
				throw new NumberFormatException();
			}
			return port;
		} catch (NumberFormatException e) {
			throw new UsageException("--port '" + text + "' is not a port number (0-65535)");
		}
	}
}
