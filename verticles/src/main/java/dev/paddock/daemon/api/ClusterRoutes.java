package dev.paddock.daemon.api;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.cluster.Cluster;
import dev.paddock.daemon.cluster.ClusterDirectory;
import dev.paddock.daemon.cluster.ClusterDirectory.Member;
import dev.paddock.daemon.cluster.Placement;
import dev.paddock.daemon.messages.LifecycleRequests;
import dev.paddock.daemon.sandbox.SandboxRecord;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The API of a cluster member (docs/cluster.md): {@code GET /v1/sandboxes} lists the whole cluster, a create is
 * placed on the least-loaded member, and a request for a sandbox another member runs is forwarded to that member's
 * TCP API with the cluster token, bodies and responses streamed through, the tty WebSocket spliced frame by frame.
 * Mounted before the plain routes; whatever is this member's own goes on to them unchanged.
 */
final class ClusterRoutes {
    /** Marks a request one member forwarded to another: the receiver serves it itself, never forwards it again. */
    static final String FORWARDED = "X-Paddock-Forwarded";
    /** Hop-by-hop headers (RFC 9110 7.6.1) and the client's own credentials: never passed on. */
    private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "keep-alive", "transfer-encoding",
            "te", "trailer", "upgrade", "proxy-authorization", "proxy-connection", "content-length", "authorization",
            "cookie", "origin", FORWARDED.toLowerCase(Locale.ROOT));

    private final Bus bus;
    private final Cluster cluster;
    private final ClusterDirectory directory;
    private final String token;
    private final SandboxRoutes sandboxes;
    private final HttpClient http;
    private final WebSocketClient ws;

    ClusterRoutes(Vertx vertx, Bus bus, Cluster cluster, ClusterDirectory directory, String token,
                  SandboxRoutes sandboxes) {
        this.bus = bus;
        this.cluster = cluster;
        this.directory = directory;
        this.token = token;
        this.sandboxes = sandboxes;
        // No idle timeout: an exec's output or an event stream may be quiet for a long time.
        this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000),
                new PoolOptions().setHttp1MaxSize(64));
        this.ws = vertx.createWebSocketClient(new WebSocketClientOptions().setConnectTimeout(5_000));
    }

    void mount(Router router) {
        router.get("/v1/sandboxes").handler(this::list);
        router.post("/v1/sandboxes").handler(this::place);
        router.route("/v1/sandboxes/:sandbox").handler(this::route);
        router.route("/v1/sandboxes/:sandbox/*").handler(this::route);
    }

    private String node() {
        return cluster.nodeId();
    }

    private static boolean forwarded(RoutingContext ctx) {
        return ctx.request().getHeader(FORWARDED) != null;
    }

    // ---- list

    /** This member's sandboxes as it knows them now, and every other member's from the cluster's view. */
    private void list(RoutingContext ctx) {
        Future<LifecycleRequests.SandboxList> mine = bus.request(Addresses.SANDBOX_LIST, new LifecycleRequests.ListAll());
        Future<List<JsonObject>> all = directory.sandboxes();
        Future.all(mine, all).onComplete(ar -> {
            if (ar.failed()) {
                ApiErrors.send(ctx, ar.cause());
                return;
            }
            List<JsonObject> out = new ArrayList<>();
            Set<String> ids = new HashSet<>();
            for (SandboxRecord r : mine.result().sandboxes()) {
                out.add(sandboxes.json(r));
                ids.add(r.id());
            }
            for (JsonObject e : all.result()) {
                if (!ids.contains(e.getString("id")) && !node().equals(e.getString("node"))) {
                    out.add(e);
                }
            }
            out.sort(Comparator.comparing((JsonObject j) -> j.getString("createdAt", ""))
                    .thenComparing(j -> j.getString("id", "")));
            Api.json(ctx, 200, new JsonObject().put("sandboxes", new JsonArray(new ArrayList<>(out))));
        });
    }

    // ---- placement

    /** A create goes to {@code ?host=} when given, else to the least-loaded member; on this one it goes on. */
    private void place(RoutingContext ctx) {
        if (forwarded(ctx)) {
            ctx.next();
            return;
        }
        String wanted = ctx.queryParams().get("host");
        Future<Map<String, Member>> members = directory.members();
        Future<List<JsonObject>> entries = directory.sandboxes();
        Future.all(members, entries).onComplete(ar -> {
            if (ar.failed()) {
                ApiErrors.send(ctx, ar.cause());
                return;
            }
            List<String> present = cluster.manager().getNodes();
            Map<String, Integer> load = Placement.loads(entries.result());
            List<Placement.Candidate> candidates = new ArrayList<>();
            for (Member m : members.result().values()) {
                if (present.contains(m.node()) && (wanted == null || wanted.equals(m.host()) || wanted.equals(m.node()))) {
                    candidates.add(new Placement.Candidate(m.node(), m.host(), load.getOrDefault(m.node(), 0)));
                }
            }
            if (candidates.isEmpty()) {
                ApiErrors.send(ctx.response(), wanted != null
                        ? DaemonException.invalid("host", "no cluster member has the host label or node id \""
                        + wanted + "\"; members: " + members.result().values().stream().filter(m -> present
                        .contains(m.node())).map(Member::host).sorted().toList())
                        : new DaemonException(ErrorCode.INTERNAL, "no cluster member has announced its API yet;"
                        + " retry in a few seconds"));
                return;
            }
            Placement.Candidate target = Placement.pick(candidates);
            if (target.node().equals(node())) {
                ctx.next();
            } else {
                forward(ctx, members.result().get(target.node()), "the new sandbox");
            }
        });
    }

    // ---- one sandbox

    private void route(RoutingContext ctx) {
        if (forwarded(ctx)) {
            ctx.next();
            return;
        }
        boolean upgrade = "websocket".equalsIgnoreCase(ctx.request().getHeader(HttpHeaders.UPGRADE));
        if (upgrade) {
            // The upgrade completes on the request's end: hold it back until the handshake is decided.
            ctx.request().pause();
        }
        String ref = SandboxRoutes.ref(ctx);
        sandboxes.getRef(ref).onComplete(local -> {
            if (local.succeeded()) {
                ctx.next();
                return;
            }
            DaemonException e = dev.paddock.daemon.bus.Replies.toDaemonException(local.cause(), Addresses.SANDBOX_GET);
            if (e.code() != ErrorCode.NOT_FOUND) {
                ApiErrors.send(ctx, e);
                return;
            }
            Future.all(directory.find(ref), directory.members()).onComplete(ar -> {
                if (ar.failed()) {
                    ApiErrors.send(ctx, ar.cause());
                    return;
                }
                JsonObject entry = ar.result().resultAt(0);
                Map<String, Member> members = ar.result().resultAt(1);
                if (entry == null) {
                    ApiErrors.send(ctx.response(), DaemonException.notFound("sandbox", ref));
                } else if (node().equals(entry.getString("node"))) {
                    ctx.next(); // created here while the lookups travelled
                } else if (ClusterDirectory.LOST.equals(entry.getString("state"))) {
                    lost(ctx, entry);
                } else if (members.get(entry.getString("node")) == null) {
                    ApiErrors.send(ctx.response(), new DaemonException(ErrorCode.ILLEGAL_STATE, "sandbox "
                            + entry.getString("id") + " runs on host " + entry.getString("host") + ", which has not"
                            + " announced its API; retry in a few seconds"));
                } else if (upgrade) {
                    forwardWebSocket(ctx, members.get(entry.getString("node")), entry.getString("id"));
                } else {
                    forward(ctx, members.get(entry.getString("node")), "sandbox " + entry.getString("id"));
                }
            });
        });
    }

    /** A lost sandbox can be looked at and dropped from the cluster's view; nothing else reaches it. */
    private void lost(RoutingContext ctx, JsonObject entry) {
        String id = entry.getString("id");
        boolean itself = ctx.request().path().equals("/v1/sandboxes/" + SandboxRoutes.ref(ctx));
        if (itself && ctx.request().method() == HttpMethod.GET) {
            Api.json(ctx, 200, entry);
        } else if (itself && ctx.request().method() == HttpMethod.DELETE && Api.boolParam(ctx, "force", false)) {
            directory.removeSandbox(id).compose(v -> directory.releaseName(entry.getString("name"), id))
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            ApiErrors.send(ctx, ar.cause());
                        } else {
                            ctx.response().setStatusCode(204).end();
                        }
                    });
        } else {
            ApiErrors.send(ctx.response(), new DaemonException(ErrorCode.ILLEGAL_STATE, "sandbox " + id + " ("
                    + entry.getString("name") + ") is lost: " + entry.getString("stateReason") + "; only GET works,"
                    + " and DELETE /v1/sandboxes/" + id + "?force=true drops it from the cluster's view"));
        }
    }

    // ---- forwarding

    private void forward(RoutingContext ctx, Member member, String what) {
        HostPort to = HostPort.of(member.api());
        MultiMap headers = HttpHeaders.headers();
        copyHeaders(ctx.request().headers(), headers);
        headers.set(HttpHeaders.AUTHORIZATION, "Bearer " + token).set(FORWARDED, node());
        RequestOptions o = new RequestOptions().setMethod(ctx.request().method()).setHost(to.host())
                .setPort(to.port()).setURI(ctx.request().uri()).setHeaders(headers);
        Buffer body = ctx.body() != null ? ctx.body().buffer() : null;
        HttpServerResponse out = ctx.response();
        http.request(o).compose(req -> {
            // The client went away (an exec cancelled): so does the forwarded request, and the owner sees it.
            out.closeHandler(v -> req.reset());
            return body != null ? req.send(body) : req.send();
        }).onComplete(ar -> {
            if (ar.failed()) {
                ApiErrors.send(ctx.response(), new DaemonException(ErrorCode.INTERNAL, "cannot reach host "
                        + member.host() + " (" + member.api() + "), which runs " + what + ": "
                        + dev.paddock.daemon.bus.Replies.describe(ar.cause())));
                return;
            }
            HttpClientResponse in = ar.result();
            out.setStatusCode(in.statusCode());
            copyHeaders(in.headers(), out.headers());
            if (in.getHeader(HttpHeaders.CONTENT_LENGTH) != null) {
                out.putHeader(HttpHeaders.CONTENT_LENGTH, in.getHeader(HttpHeaders.CONTENT_LENGTH));
            } else {
                out.setChunked(true);
            }
            in.pipeTo(out);
        });
    }

    private void forwardWebSocket(RoutingContext ctx, Member member, String id) {
        HostPort to = HostPort.of(member.api());
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(to.host()).setPort(to.port())
                .setURI(ctx.request().uri());
        o.addHeader(HttpHeaders.AUTHORIZATION.toString(), "Bearer " + token).addHeader(FORWARDED, node());
        ws.connect(o).onComplete(ar -> {
            if (ar.failed()) {
                if (ar.cause() instanceof UpgradeRejectedException r) {
                    // The owner refused (not ready, bad parameters): its answer, as it gave it.
                    ctx.response().setStatusCode(r.getStatus());
                    copyHeaders(r.getHeaders(), ctx.response().headers());
                    ctx.response().end(r.getBody() != null ? r.getBody() : Buffer.buffer());
                } else {
                    ApiErrors.send(ctx.response(), new DaemonException(ErrorCode.INTERNAL, "cannot reach host "
                            + member.host() + " (" + member.api() + "), which runs sandbox " + id + ": "
                            + dev.paddock.daemon.bus.Replies.describe(ar.cause())));
                }
                return;
            }
            WebSocket upstream = ar.result();
            ctx.request().toWebSocket().onComplete(down -> {
                if (down.failed()) {
                    upstream.close();
                    return;
                }
                splice(down.result(), upstream);
                splice(upstream, down.result());
            });
        });
    }

    /** Every message of {@code from} to {@code to}, binary stays binary (the tty), text stays text (resize). */
    private static void splice(WebSocketBase from, WebSocketBase to) {
        from.binaryMessageHandler(to::writeBinaryMessage);
        from.textMessageHandler(to::writeTextMessage);
        from.closeHandler(v -> {
            if (!to.isClosed()) {
                Short code = from.closeStatusCode();
                if (code != null) {
                    to.close(code, from.closeReason());
                } else {
                    to.close();
                }
            }
        });
        from.exceptionHandler(e -> {
            if (!to.isClosed()) {
                to.close();
            }
        });
    }

    private static void copyHeaders(MultiMap from, MultiMap to) {
        from.forEach(h -> {
            if (!NOT_FORWARDED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
                to.add(h.getKey(), h.getValue());
            }
        });
    }

    /** A member's API address, HOST:PORT. */
    record HostPort(String host, int port) {
        static HostPort of(String hostPort) {
            int colon = hostPort.lastIndexOf(':');
            return new HostPort(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        }
    }
}
