package dev.paddock.daemon.api;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.events.SandboxEventsVerticle;
import dev.paddock.daemon.messages.EgressMessages.SecretCheck;
import dev.paddock.daemon.messages.LifecycleRequests;
import dev.paddock.daemon.messages.PortMessages.PortAdd;
import dev.paddock.daemon.messages.PortMessages.PortList;
import dev.paddock.daemon.messages.PortMessages.PortRemove;
import dev.paddock.daemon.messages.PortMessages.PortStatus;
import dev.paddock.daemon.messages.PortMessages.PortsOf;
import dev.paddock.daemon.sandbox.PortRequest;
import dev.paddock.daemon.sandbox.Limits;
import dev.paddock.daemon.sandbox.SandboxRecord;
import dev.paddock.daemon.sandbox.SandboxStore;
import dev.paddock.daemon.sandbox.Workspace;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Sandboxes: create, list, inspect, start, stop, delete, logs, ports (listed, added, removed). */
final class SandboxRoutes {
    private final Vertx vertx;
    private final Bus bus;
    private final SandboxStore store;
    /** In a cluster, this member's node id and host label, shown on each of its sandboxes; null otherwise. */
    private String node;
    private String host;

    SandboxRoutes(Vertx vertx, Bus bus, SandboxStore store) {
        this.vertx = vertx;
        this.bus = bus;
        this.store = store;
    }

    /** Shows {@code node} and {@code host} on every sandbox (a cluster member). */
    SandboxRoutes located(String nodeId, String hostLabel) {
        this.node = nodeId;
        this.host = hostLabel;
        return this;
    }

    void mount(Router router) {
        router.post("/v1/sandboxes").handler(this::create);
        router.get("/v1/sandboxes").handler(ctx -> bus.<LifecycleRequests.SandboxList>request(Addresses.SANDBOX_LIST,
                new LifecycleRequests.ListAll()).onComplete(ar -> {
                    if (ar.failed()) {
                        ApiErrors.send(ctx, ar.cause());
                        return;
                    }
                    JsonArray all = new JsonArray();
                    ar.result().sandboxes().forEach(r -> all.add(json(r)));
                    Api.json(ctx, 200, new JsonObject().put("sandboxes", all));
                }));
        router.get("/v1/sandboxes/:sandbox").handler(ctx -> reply(ctx, 200, get(ctx)));
        router.delete("/v1/sandboxes/:sandbox").handler(ctx -> bus.<SandboxRecord>requestSlow(Addresses.SANDBOX_REMOVE,
                new LifecycleRequests.Remove(ref(ctx), Api.boolParam(ctx, "force", false))).onComplete(ar -> {
                    if (ar.failed()) {
                        ApiErrors.send(ctx, ar.cause());
                    } else {
                        ctx.response().setStatusCode(204).end();
                    }
                }));
        router.post("/v1/sandboxes/:sandbox/start").handler(ctx -> reply(ctx, 200, bus.requestSlow(
                Addresses.SANDBOX_START, new LifecycleRequests.Start(ref(ctx), Api.boolParam(ctx, "wait", true)))));
        router.post("/v1/sandboxes/:sandbox/stop").handler(ctx -> {
            int timeout = Api.intParam(ctx, "timeoutSeconds", 10, 0, Limits.MAX_STOP_TIMEOUT_S);
            reply(ctx, 200, bus.requestSlow(Addresses.SANDBOX_STOP, new LifecycleRequests.Stop(ref(ctx),
                    Api.boolParam(ctx, "wait", true), timeout)));
        });
        router.get("/v1/sandboxes/:sandbox/logs").handler(this::logs);
        router.get("/v1/sandboxes/:sandbox/ports").handler(ctx -> bus.<PortList>request(Addresses.SANDBOX_PORTS,
                new PortsOf(ref(ctx))).onComplete(ar -> {
                    if (ar.failed()) {
                        ApiErrors.send(ctx, ar.cause());
                        return;
                    }
                    JsonArray ports = new JsonArray();
                    ar.result().ports().forEach(p -> ports.add(portJson(p)));
                    Api.json(ctx, 200, new JsonObject().put("ports", ports));
                }));
        router.post("/v1/sandboxes/:sandbox/ports").handler(ctx -> {
            PortRequest port;
            try {
                port = PortRequestParser.parseAdd(JsonBodies.object(ctx));
            } catch (DaemonException e) {
                ApiErrors.send(ctx.response(), e);
                return;
            }
            bus.<PortStatus>request(Addresses.SANDBOX_PORT_ADD, new PortAdd(ref(ctx), port.guestPort(),
                    port.hostPort(), port.hostAddress())).onComplete(ar -> {
                        if (ar.failed()) {
                            ApiErrors.send(ctx, ar.cause());
                        } else {
                            Api.json(ctx, 201, portJson(ar.result()));
                        }
                    });
        });
        router.delete("/v1/sandboxes/:sandbox/ports/:hostPort").handler(ctx -> {
            int hostPort;
            try {
                hostPort = PortRequestParser.hostPort(ctx.pathParam("hostPort"));
            } catch (DaemonException e) {
                ApiErrors.send(ctx.response(), e);
                return;
            }
            bus.<PortStatus>request(Addresses.SANDBOX_PORT_REMOVE, new PortRemove(ref(ctx), hostPort))
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            ApiErrors.send(ctx, ar.cause());
                        } else {
                            ctx.response().setStatusCode(204).end();
                        }
                    });
        });
    }

    private static JsonObject portJson(PortStatus p) {
        JsonObject o = new JsonObject().put("guestPort", p.guestPort()).put("hostPort", p.hostPort())
                .put("hostAddress", p.hostAddress()).put("state", p.published() ? "published" : "not-published");
        return p.reason() != null ? o.put("reason", p.reason()) : o;
    }

    Future<SandboxRecord> get(RoutingContext ctx) {
        return getRef(ref(ctx));
    }

    Future<SandboxRecord> getRef(String ref) {
        return bus.request(Addresses.SANDBOX_GET, new LifecycleRequests.Ref(ref));
    }

    static String ref(RoutingContext ctx) {
        return ctx.pathParam("sandbox");
    }

    JsonObject json(SandboxRecord r) {
        JsonObject j = SandboxJson.of(r, store.directory(r.id()));
        return node == null ? j : j.put("node", node).put("host", host);
    }

    private void reply(RoutingContext ctx, int status, Future<SandboxRecord> result) {
        result.onComplete(ar -> {
            if (ar.failed()) {
                ApiErrors.send(ctx, ar.cause());
            } else {
                ctx.response().putHeader("Location", "/v1/sandboxes/" + ar.result().id());
                Api.json(ctx, status, json(ar.result()));
            }
        });
    }

    private void create(RoutingContext ctx) {
        CreateSandboxParser.Parsed parsed;
        boolean await;
        try {
            await = Api.boolParam(ctx, "wait", true);
            parsed = CreateSandboxParser.parse(JsonBodies.object(ctx));
        } catch (DaemonException e) {
            ApiErrors.send(ctx.response(), e);
            return;
        }
        reply(ctx, 201, create(parsed, await));
    }

    /** Checks workspaces and secrets, then asks the lifecycle verticle: the API's and the bridge's create. */
    Future<SandboxRecord> create(CreateSandboxParser.Parsed parsed, boolean await) {
        Future<Void> checks = workspacesExist(parsed.spec().workspaces())
                .compose(v -> bus.<SecretCheck>request(Addresses.SECRET_CHECK, new SecretCheck(parsed.spec().secrets())))
                .compose(missing -> {
                    if (missing.names().isEmpty()) {
                        return Future.succeededFuture();
                    }
                    String name = missing.names().get(0);
                    int index = parsed.spec().secrets().indexOf(name);
                    return Future.failedFuture(new DaemonException(ErrorCode.UNKNOWN_SECRET, "secrets[" + index
                            + "]: no secret \"" + name + "\" is set; set it first with PUT /v1/secrets/" + name
                            + " (paddock secret set " + name + ")", "secrets[" + index + "]", List.of()));
                });
        return checks.compose(v -> bus.requestSlow(Addresses.SANDBOX_CREATE, new LifecycleRequests.Create(
                parsed.spec(), parsed.policyJson(), parsed.start(), await)));
    }

    private Future<Void> workspacesExist(List<Workspace> workspaces) {
        List<Future<Void>> checks = new ArrayList<>();
        for (int i = 0; i < workspaces.size(); i++) {
            String where = "workspaces[" + i + "].path";
            String path = workspaces.get(i).path();
            checks.add(vertx.fileSystem().props(path).transform(ar -> ar.succeeded() && ar.result().isDirectory()
                    ? Future.succeededFuture()
                    : Future.failedFuture(DaemonException.invalid(where, where + " \"" + path + "\" "
                    + (ar.succeeded() ? "is not a directory" : "does not exist") + "; share a directory of this host"))));
        }
        return Future.all(checks).mapEmpty();
    }

    private void logs(RoutingContext ctx) {
        String source;
        int tail;
        try {
            source = ctx.queryParams().get("source") == null ? "console" : ctx.queryParams().get("source");
            if (!source.equals("console") && !source.equals("agent")) {
                throw DaemonException.invalid("source", "source \"" + source + "\" is neither console nor agent");
            }
            tail = Api.intParam(ctx, "tail", 0, 0, 100_000);
        } catch (DaemonException e) {
            ApiErrors.send(ctx.response(), e);
            return;
        }
        String file = source.equals("console") ? SandboxEventsVerticle.CONSOLE_LOG : SandboxEventsVerticle.AGENT_LOG;
        get(ctx).compose(r -> {
            String path = store.directory(r.id()).resolve(file).toString();
            return vertx.fileSystem().exists(path).compose(exists -> exists ? vertx.fileSystem().readFile(path)
                    : Future.succeededFuture(io.vertx.core.buffer.Buffer.buffer()));
        }).onComplete(ar -> {
            if (ar.failed()) {
                ApiErrors.send(ctx, ar.cause());
                return;
            }
            String text = ar.result().toString();
            if (tail > 0) {
                String[] lines = text.split("\n", -1);
                int end = text.endsWith("\n") ? lines.length - 1 : lines.length;
                int from = Math.max(0, end - tail);
                text = String.join("\n", Arrays.asList(lines).subList(from, end)) + (end > from ? "\n" : "");
            }
            ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(text);
        });
    }
}
