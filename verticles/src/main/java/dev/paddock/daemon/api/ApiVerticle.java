package dev.paddock.daemon.api;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.metrics.DaemonMetrics;
import dev.paddock.daemon.sandbox.SandboxStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;

/**
 * The REST API of openapi.yaml (served at {@code /v1/openapi.yaml}), on the unix socket and, when asked, on TCP
 * with a bearer token. Handlers only parse, ask the other verticles over the bus, and stream; nothing here blocks.
 */
public final class ApiVerticle extends VerticleBase {
    /** Bodies are small JSON documents (a policy of 4096 rules fits); anything bigger is refused. */
    static final long MAX_BODY_BYTES = 4L * 1024 * 1024;

    private final ApiOptions options;
    private final SandboxStore store;
    private final DaemonMetrics metrics;
    private final JsonObject info;
    private final Duration slowTimeout;
    private HttpServer unix;
    private HttpServer tcp;
    /** Checks the web page's login on TCP; null on the unix socket, where the page needs no login. */
    private TokenAuth login;
    /** This member's cluster and the cluster's view, or null for a plain daemon. */
    private final dev.paddock.daemon.cluster.Cluster cluster;
    private final dev.paddock.daemon.cluster.ClusterDirectory directory;

    /** @param info the body of GET /v1/info; @param slowTimeout how long a boot or stop request may wait */
    public ApiVerticle(ApiOptions options, SandboxStore store, DaemonMetrics metrics, JsonObject info,
                       Duration slowTimeout) {
        this(options, store, metrics, info, slowTimeout, null, null);
    }

    /** A cluster member's API (docs/cluster.md): the whole cluster's sandboxes, placement, forwarding. */
    public ApiVerticle(ApiOptions options, SandboxStore store, DaemonMetrics metrics, JsonObject info,
                       Duration slowTimeout, dev.paddock.daemon.cluster.Cluster cluster,
                       dev.paddock.daemon.cluster.ClusterDirectory directory) {
        if (cluster != null && !options.tcp()) {
            throw new IllegalArgumentException("a cluster member's API needs TCP: its peers forward requests to it");
        }
        this.cluster = cluster;
        this.directory = directory;
        this.options = options;
        this.store = store;
        this.metrics = metrics;
        this.info = info.copy();
        this.slowTimeout = slowTimeout;
    }

    /** The TCP port bound, or -1 without TCP. */
    public int tcpPort() {
        return tcp != null ? tcp.actualPort() : -1;
    }

    @Override
    public Future<?> start() {
        return vertx.executeBlocking(ApiVerticle::readOpenApi).compose(yaml -> {
            Router router = router(yaml);
            unix = vertx.createHttpServer(new HttpServerOptions()).requestHandler(router);
            Future<?> listening = unix.listen(SocketAddress.domainSocketAddress(options.socket().toString()))
                    .compose(s -> vertx.executeBlocking(() -> {
                        // The socket is the API's only protection in unix mode: owner only (the state dir is 0700 too).
                        Files.setPosixFilePermissions(options.socket(), PosixFilePermissions.fromString("rw-------"));
                        return null;
                    }));
            if (options.tcp()) {
                TokenAuth auth = new TokenAuth(options.token());
                login = auth;
                tcp = vertx.createHttpServer(new HttpServerOptions()).requestHandler(req -> {
                    if (auth.authorized(req) || req.path().equals(TokenAuth.LOGIN_PATH)) {
                        router.handle(req);
                    } else {
                        ApiErrors.send(req.response(), new DaemonException(ErrorCode.UNAUTHORIZED, "this daemon"
                                + " listens on TCP and every request needs 'Authorization: Bearer <token>' with the"
                                + " token in $PADDOCK_STATE/daemon.token (a browser: open /ui/login?token=<token>"
                                + " once, docs/web.md)"));
                    }
                });
                listening = listening.compose(v -> tcp.listen(options.tcpPort(), options.tcpHost()));
            }
            return listening;
        });
    }

    @Override
    public Future<?> stop() {
        return Future.join(unix != null ? unix.close() : Future.succeededFuture(),
                tcp != null ? tcp.close() : Future.succeededFuture());
    }

    private Router router(String yaml) {
        Router router = Router.router(vertx);
        // Only where the contract has bodies: a catch-all would turn every unknown path into 405 instead of 404.
        BodyHandler body = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
        for (String path : new String[] {"/v1/sandboxes", "/v1/sandboxes/*", "/v1/policy", "/v1/secrets/*"}) {
            router.route(path).method(HttpMethod.POST).method(HttpMethod.PUT).handler(body);
        }
        router.get("/v1/openapi.yaml").handler(ctx -> ctx.response().putHeader("Content-Type", "application/yaml")
                .end(yaml));
        router.get("/v1/info").handler(ctx -> Api.json(ctx, 200, info));
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(metrics.scrape()));
        Bus bus = new Bus(vertx, slowTimeout);
        SandboxRoutes sandboxes = new SandboxRoutes(vertx, bus, store);
        if (cluster != null) {
            // Before the plain routes: the cluster's list and placement, and forwarding of other members' sandboxes.
            sandboxes.located(cluster.nodeId(), cluster.options().hostLabel());
            new ClusterRoutes(vertx, bus, cluster, directory, options.token(), sandboxes).mount(router);
        }
        sandboxes.mount(router);
        new ExecRoutes(vertx, bus, metrics).mount(router);
        new TtyRoute(vertx, bus, metrics).mount(router);
        new EgressRoutes(bus, sandboxes).mount(router);
        new EventsRoute(vertx, sandboxes).mount(router);
        new WebRoutes(vertx, () -> login).mount(router);

        router.route().failureHandler(ctx -> {
            if (ctx.failure() != null) {
                ApiErrors.send(ctx, ctx.failure());
            } else if (ctx.statusCode() == 413) {
                ApiErrors.send(ctx.response(), DaemonException.invalid(null, "the request body is larger than "
                        + MAX_BODY_BYTES + " bytes"));
            } else {
                ApiErrors.send(ctx.response(), unknownEndpoint(ctx.request()));
            }
        });
        router.errorHandler(404, ctx -> ApiErrors.send(ctx.response(), unknownEndpoint(ctx.request())));
        router.errorHandler(405, ctx -> ApiErrors.send(ctx.response(), new DaemonException(ErrorCode.INVALID_ARGUMENT,
                ctx.request().method() + " is not allowed on " + ctx.request().path() + "; see /v1/openapi.yaml")));
        return router;
    }

    private static DaemonException unknownEndpoint(HttpServerRequest req) {
        return new DaemonException(ErrorCode.NOT_FOUND, "no endpoint " + req.method() + " " + req.path()
                + "; the API is described at /v1/openapi.yaml");
    }

    static String readOpenApi() throws IOException {
        try (InputStream in = ApiVerticle.class.getResourceAsStream("/openapi.yaml")) {
            if (in == null) {
                throw new IOException("openapi.yaml is missing from the daemon's classpath; rebuild the verticles jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
