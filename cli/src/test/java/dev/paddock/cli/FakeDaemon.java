package dev.paddock.cli;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-process stand-in for the daemon: canned answers, keyed by "METHOD /path" (query string excluded), on the
 * unix socket of a temporary state directory, or on TCP. It records every request with its body, so tests can
 * check what the CLI sent; unknown routes answer the daemon's 404 shape. Commands run against it in-process.
 */
public final class FakeDaemon implements AutoCloseable {
    /** One request as it arrived. */
    public record Seen(String method, String uri, String body, Map<String, String> headers) {}

    private final Vertx vertx = Vertx.vertx();
    private final Map<String, Handler<HttpServerRequest>> routes = new ConcurrentHashMap<>();
    private final Map<String, Handler<ServerWebSocket>> sockets = new ConcurrentHashMap<>();
    public final List<Seen> seen = new CopyOnWriteArrayList<>();
    public final Path stateDir;
    private final HttpServer server;

    private FakeDaemon(Path stateDir, SocketAddress address) {
        this.stateDir = stateDir;
        route("GET", "/v1/info", r -> json(r, 200, new JsonObject().put("version", "test").put("apiVersion", "1")
                .put("pid", 1).put("stateDir", stateDir.toString()).put("driver", "fake").put("startedAt", "2026-11-27T00:00:00Z")));
        this.server = vertx.createHttpServer()
                .webSocketHandshakeHandler(h -> {
                    if (sockets.containsKey(h.path())) {
                        h.accept();
                    } else {
                        h.reject(404);
                    }
                })
                .webSocketHandler(ws -> sockets.get(ws.path()).handle(ws))
                .requestHandler(this::dispatch);
        server.listen(address).await();
    }

    /** A fake on the default socket of this state directory. */
    public static FakeDaemon onSocket(Path stateDir) {
        return new FakeDaemon(stateDir, SocketAddress.domainSocketAddress(stateDir.resolve("daemon.sock").toString()));
    }

    /** A fake on 127.0.0.1, any port. */
    public static FakeDaemon onTcp(Path stateDir) {
        return new FakeDaemon(stateDir, SocketAddress.inetSocketAddress(0, "127.0.0.1"));
    }

    public int port() {
        return server.actualPort();
    }

    public FakeDaemon route(String method, String path, Handler<HttpServerRequest> handler) {
        routes.put(method + " " + path, handler);
        return this;
    }

    public FakeDaemon webSocket(String path, Handler<ServerWebSocket> handler) {
        sockets.put(path, handler);
        return this;
    }

    /** A route that always answers this status and JSON. */
    public FakeDaemon answer(String method, String path, int status, JsonObject body) {
        return route(method, path, r -> json(r, status, body));
    }

    public static void json(HttpServerRequest r, int status, JsonObject body) {
        r.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }

    public static JsonObject error(String code, String message) {
        return new JsonObject().put("error", message).put("code", code);
    }

    public static JsonObject sandbox(String id, String name, String state) {
        return new JsonObject().put("id", id).put("name", name).put("state", state).put("image", "default").put("cpus", 2)
                .put("memoryMib", 2048).put("diskGib", 20).put("workspaces", new io.vertx.core.json.JsonArray())
                .put("env", new JsonObject()).put("labels", new JsonObject()).put("driver", "fake");
    }

    private void dispatch(HttpServerRequest r) {
        r.body().onSuccess(body -> {
            Map<String, String> headers = new ConcurrentHashMap<>();
            r.headers().forEach(e -> headers.put(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue()));
            seen.add(new Seen(r.method().name(), r.uri(), body.toString(), headers));
            Handler<HttpServerRequest> h = routes.get(r.method().name() + " " + r.path());
            if (h == null) {
                json(r, 404, error("NOT_FOUND", "no sandbox " + r.path() + " (fake daemon)"));
            } else {
                h.handle(r);
            }
        });
    }

    /** The requests other than the CLI's own /v1/info probe. */
    public List<Seen> calls() {
        return seen.stream().filter(s -> !s.uri().equals("/v1/info")).toList();
    }

    /** Runs `paddock args...` in-process against this daemon, with stdin and extra environment. */
    public Result run(Map<String, String> env, String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> all = new java.util.HashMap<>(Map.of("PADDOCK_STATE", stateDir.toString(), "PADDOCK_AUTOSTART", "0",
                // a local (fake) daemon, never the one in the helper VM of the emulated accelerator
                "PADDOCK_EMULATED", "0"));
        all.putAll(env);
        CliContext ctx = new CliContext(all, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), stateDir);
        int status = Paddock.commandLine(ctx).execute(args);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    public Result run(String... args) {
        return run(Map.of(), "", args);
    }

    public record Result(int status, String out, String err) {}

    public static Buffer ndjson(JsonObject... lines) {
        Buffer b = Buffer.buffer();
        for (JsonObject l : lines) {
            b.appendString(l.encode()).appendString("\n");
        }
        return b;
    }

    @Override
    public void close() {
        vertx.close().await();
    }
}
