package dev.paddock.cli.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetSocket;
import java.util.function.Function;
import io.vertx.core.Context;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletionException;

/**
 * The CLI's side of the daemon's REST API: HTTP/1.1 on the daemon's unix socket (Netty's NIO transport does
 * AF_UNIX on JDK 16+, so no native library is needed), or on TCP with a bearer token. It owns one small Vert.x
 * instance for the life of a command.
 *
 * <p>The CLI's main thread is not a Vert.x thread, so every call here waits for its answer ({@code Future.await}
 * parks the caller); the event loop itself never blocks. Streamed bodies reach the caller through
 * {@link ApiStream}, which pauses the response while the caller is behind.
 */
public final class DaemonClient implements AutoCloseable {
    /** How long a call waits for the daemon to accept a connection before it counts as not answering. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** A plain call's limit; a sandbox's create or start returns before the boot (the events stream reports it). */
    static final Duration CALL_TIMEOUT = Duration.ofMinutes(5);

    private final DaemonEndpoint endpoint;
    private final Vertx vertx;
    private final HttpClient http;

    private DaemonClient(DaemonEndpoint endpoint) {
        this.endpoint = endpoint;
        // Two event loops and no worker pool to speak of: a command makes a handful of requests.
        // The blocked-thread warning is raised to 10 s: the CLI's loops only run its own short callbacks, and the
        // first of them load Netty's and Jackson's classes, which on a loaded machine takes seconds; the warning
        // would land on the user's terminal without telling them anything.
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(2).setInternalBlockingPoolSize(2)
                .setMaxEventLoopExecuteTime(10).setMaxEventLoopExecuteTimeUnit(java.util.concurrent.TimeUnit.SECONDS));
        this.http = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) CONNECT_TIMEOUT.toMillis())
                .setDefaultHost("localhost"));
    }

    public static DaemonClient open(DaemonEndpoint endpoint) {
        return new DaemonClient(endpoint);
    }

    public DaemonEndpoint endpoint() {
        return endpoint;
    }

    public ApiResponse get(String path) {
        return send(HttpMethod.GET, path, null);
    }

    public ApiResponse post(String path, JsonObject body) {
        return send(HttpMethod.POST, path, body);
    }

    public ApiResponse put(String path, JsonObject body) {
        return send(HttpMethod.PUT, path, body);
    }

    public ApiResponse delete(String path) {
        return send(HttpMethod.DELETE, path, null);
    }

    /** One request with a JSON body (or none), its whole answer whatever the status. */
    public ApiResponse send(HttpMethod method, String path, JsonObject body) {
        // The whole exchange runs in callbacks on the event loop; this thread only waits for its end. A request or
        // response handed over to this thread instead races the connection (a body can end before a handler is
        // set here; a request sent from here was seen never to leave).
        return exchange(options(method, path, CALL_TIMEOUT), request -> send(request, body).compose(response ->
                response.body().map(payload -> new ApiResponse(response.statusCode(),
                        response.getHeader(HttpHeaders.CONTENT_TYPE), payload))), method, path);
    }

    /**
     * A request whose answer is read as it arrives (exec output, logs with {@code --follow}, server-sent events).
     * An error status is read whole and thrown as {@link ApiException}.
     */
    public ApiStream stream(HttpMethod method, String path, JsonObject body) {
        Object answer = exchange(options(method, path, null), request -> send(request, body).compose(response ->
                response.statusCode() >= 300
                        ? response.body().map(payload -> (Object) new ApiException(response.statusCode(),
                                ApiResponse.errorMessage(response.statusCode(), payload)))
                        : Future.succeededFuture(new ApiStream(response))), method, path);
        if (answer instanceof ApiException e) {
            throw e;
        }
        return (ApiStream) answer;
    }

    private static Future<HttpClientResponse> send(HttpClientRequest request, JsonObject body) {
        return body == null
                ? request.send()
                : request.putHeader(HttpHeaders.CONTENT_TYPE, "application/json").send(body.toBuffer());
    }

    /** True when a daemon answers on the endpoint at all (any HTTP status counts). */
    public boolean answers(String path) {
        try {
            send(HttpMethod.GET, path, null);
            return true;
        } catch (DaemonUnreachableException e) {
            return false;
        }
    }

    /** A connection upgraded to another protocol, with the context its handlers and writes belong to. */
    public record Upgraded(NetSocket socket, String accept, Context context) {}

    /**
     * Upgrades a GET to another protocol (RFC 7230 §6.7; the terminal's WebSocket, RFC 6455 §4.1) and returns the
     * raw connection, paused so that the caller sets its handlers before any byte arrives, with the connection's
     * context, on which every write must be made. A refused upgrade (404, 409, 422, ...) is an
     * {@link ApiException} with the daemon's message.
     */
    public Upgraded upgrade(String path, String key, String protocol) {
        RequestOptions options = options(HttpMethod.GET, path, null)
                .putHeader(HttpHeaders.UPGRADE, protocol).putHeader(HttpHeaders.CONNECTION, "Upgrade")
                .putHeader("Sec-WebSocket-Key", key).putHeader("Sec-WebSocket-Version", "13");
        Object answer = exchange(options, request -> request.exceptionHandler(e -> {
            // Once upgraded, the connection's end belongs to the socket (TerminalSocket reports it); the request
            // would only log it a second time.
        }).connect().compose(response -> {
            if (response.statusCode() == 101) {
                NetSocket socket = response.netSocket();
                socket.pause();
                return Future.succeededFuture((Object) new Upgraded(socket, response.getHeader("Sec-WebSocket-Accept"),
                        Vertx.currentContext()));
            }
            return response.body().map(payload -> (Object) new ApiException(response.statusCode(),
                    ApiResponse.errorMessage(response.statusCode(), payload)));
        }), HttpMethod.GET, path);
        if (answer instanceof ApiException e) {
            throw e;
        }
        return (Upgraded) answer;
    }

    private RequestOptions options(HttpMethod method, String path, Duration idleTimeout) {
        RequestOptions options = new RequestOptions().setMethod(method).setURI(path).setHost("localhost");
        if (endpoint instanceof DaemonEndpoint.Unix u) {
            options.setServer(SocketAddress.domainSocketAddress(u.socket().toString()));
        } else if (endpoint instanceof DaemonEndpoint.Tcp t) {
            options.setServer(SocketAddress.inetSocketAddress(t.port(), t.host())).setHost(t.host()).setPort(t.port())
                    .putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + t.token());
        }
        if (idleTimeout != null) {
            options.setIdleTimeout(idleTimeout.toMillis());
        }
        return options;
    }

    /**
     * Runs one exchange on the event loop and waits for its result. A failure to connect means no daemon answers
     * there; a failure after that means the daemon broke off the exchange.
     */
    private <T> T exchange(RequestOptions options, Function<HttpClientRequest, Future<T>> exchange, HttpMethod method,
                           String path) {
        Future<T> result = http.request(options)
                .recover(e -> Future.failedFuture(new DaemonUnreachableException("no daemon answers on "
                        + endpoint.describe() + " (" + reason(e) + ")", e)))
                .compose(exchange);
        try {
            return result.await();
        } catch (DaemonUnreachableException | ApiException e) {
            throw e;
        } catch (Exception e) {
            throw new DaemonUnreachableException("the daemon on " + endpoint.describe() + " dropped the connection during "
                    + method + " " + path + " (" + reason(e) + "); its log may say why", e);
        }
    }

    /** Words for a connection failure; {@code Future.await} rethrows the cause as it is, checked ones included. */
    private static String reason(Throwable e) {
        Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        String m = t.getMessage();
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    @Override
    public void close() {
        try {
            http.close().await();
        } finally {
            vertx.close().await();
        }
    }
}
