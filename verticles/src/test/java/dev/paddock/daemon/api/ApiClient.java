package dev.paddock.daemon.api;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The tests' client of the daemon's API over its unix socket (or TCP), as the CLI will talk to it. */
public final class ApiClient {
    public record Response(int status, MultiMap headers, Buffer body) {
        public JsonObject json() {
            return body.toJsonObject();
        }

        public String text() {
            return body.toString();
        }

        /** The NDJSON chunks of an exec. */
        public List<JsonObject> chunks() {
            List<JsonObject> out = new ArrayList<>();
            for (String line : text().split("\n")) {
                if (!line.isEmpty()) {
                    out.add(new JsonObject(line));
                }
            }
            return out;
        }

        public String output(String type) {
            StringBuilder sb = new StringBuilder();
            for (JsonObject c : chunks()) {
                if (type.equals(c.getString("type"))) {
                    sb.append(new String(Base64.getDecoder().decode(c.getString("data"))));
                }
            }
            return sb.toString();
        }

        public JsonObject last() {
            List<JsonObject> c = chunks();
            return c.get(c.size() - 1);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    private final HttpClient client;
    private final SocketAddress server;
    private final String token;
    private volatile java.util.function.Function<String, String> diagnostics = call -> "";

    public ApiClient(Vertx vertx, SocketAddress server, String token) {
        this.client = vertx.createHttpClient(new HttpClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(32));
        this.server = server;
        this.token = token;
    }

    /**
     * What to add to the failure of a call that did not complete (a timeout, a refused connection): for VM tests,
     * the state of every running VM at that moment ({@code VmItSupport}), so a hang can be told from a slow guest.
     */
    public ApiClient onFailure(java.util.function.Function<String, String> diagnostics) {
        this.diagnostics = diagnostics;
        return this;
    }

    public SocketAddress server() {
        return server;
    }

    public Future<Response> send(HttpMethod method, String uri, Buffer body) {
        RequestOptions o = new RequestOptions().setServer(server).setMethod(method).setURI(uri)
                .setHost("localhost").setPort(server.isInetSocket() ? server.port() : 80);
        if (token != null) {
            o.putHeader("Authorization", "Bearer " + token);
        }
        if (body != null) {
            o.putHeader("Content-Type", "application/json");
        }
        return client.request(o).compose(req -> (body != null ? req.send(body) : req.send())
                .compose(resp -> resp.body().map(b -> new Response(resp.statusCode(), resp.headers(), b))));
    }

    public Response call(HttpMethod method, String uri, Object body) {
        Buffer b = body == null ? null : body instanceof String s ? Buffer.buffer(s)
                : body instanceof JsonObject j ? j.toBuffer() : ((JsonArray) body).toBuffer();
        try {
            return send(method, uri, b).await(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            String call = method + " " + uri;
            String more = diagnostics.apply(call);
            throw new AssertionError(call + " failed: " + e + (more.isEmpty() ? "" : "\n" + more), e);
        }
    }

    public Response get(String uri) {
        return call(HttpMethod.GET, uri, null);
    }

    public Response post(String uri, Object body) {
        return call(HttpMethod.POST, uri, body);
    }

    public Response put(String uri, Object body) {
        return call(HttpMethod.PUT, uri, body);
    }

    public Response delete(String uri) {
        return call(HttpMethod.DELETE, uri, null);
    }

    public Response exec(String sandbox, String... argv) {
        return post("/v1/sandboxes/" + sandbox + "/exec", new JsonObject().put("argv", new JsonArray(List.of(argv))));
    }

    public HttpClient http() {
        return client;
    }
}
