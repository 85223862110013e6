package dev.paddock.daemon.api;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.messages.LifecycleRequests;
import dev.paddock.daemon.metrics.DaemonMetrics;
import dev.paddock.vsock.agent.ExecProcess;
import dev.paddock.vsock.agent.ExecRequest;
import dev.paddock.vsock.agent.ExitStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/sandboxes/{s}/tty}: an interactive process with a pty over a WebSocket (docs/api.md). The process
 * is started before the upgrade, so every error before it is an ordinary error response. Binary frames are the
 * terminal's bytes both ways; text frames from the client are resize and signal controls.
 */
final class TtyRoute {
    private static final List<String> DEFAULT_ARGV = List.of("/bin/sh", "-l");

    private final Vertx vertx;
    private final Bus bus;
    private final DaemonMetrics metrics;

    TtyRoute(Vertx vertx, Bus bus, DaemonMetrics metrics) {
        this.vertx = vertx;
        this.bus = bus;
        this.metrics = metrics;
    }

    void mount(Router router) {
        router.get("/v1/sandboxes/:sandbox/tty").handler(this::attach);
    }

    private void attach(RoutingContext ctx) {
        // toWebSocket() completes on the request's end: hold the end back while the exec starts, or it passes
        // before toWebSocket() is called and the upgrade never completes.
        ctx.request().pause();
        List<String> argv = ctx.queryParam("argv").isEmpty() ? DEFAULT_ARGV : ctx.queryParam("argv");
        int rows = Api.intParam(ctx, "rows", 24, 1, 1000);
        int cols = Api.intParam(ctx, "cols", 80, 1, 1000);
        String cwd = ctx.queryParams().get("cwd") == null ? "" : ctx.queryParams().get("cwd");
        String user = ctx.queryParams().get("user") == null ? "" : ctx.queryParams().get("user");
        Map<String, String> env = new HashMap<>();
        for (String e : ctx.queryParam("env")) {
            int eq = e.indexOf('=');
            if (eq <= 0 || !JsonBodies.ENV_NAME.matcher(e.substring(0, eq)).matches()) {
                throw DaemonException.invalid("env", "env=" + e + " is not NAME=VALUE");
            }
            env.put(e.substring(0, eq), e.substring(eq + 1));
        }
        env.putIfAbsent("TERM", "xterm-256color");
        Context here = vertx.getOrCreateContext();
        bus.<LifecycleRequests.AgentHandle>request(Addresses.SANDBOX_AGENT, new LifecycleRequests.Ref(SandboxRoutes.ref(ctx)))
                .compose(h -> {
                    ExecRequest req = ExecRoutes.request(argv, h.sandbox().spec(), env, cwd, user)
                            .withTty(rows, cols);
                    return h.agent().exec(req).recover(e -> Future.failedFuture(
                            ExecRoutes.execFailure(h.sandbox().id(), argv, e)));
                })
                .onComplete(ar -> here.runOnContext(v -> {
                    if (ar.failed()) {
                        metrics.exec("failed");
                        ApiErrors.send(ctx, ar.cause());
                        return;
                    }
                    ExecProcess p = ar.result();
                    ctx.request().toWebSocket().onComplete(ws -> {
                        if (ws.failed()) {
                            p.kill();
                            metrics.exec("cancelled");
                            return;
                        }
                        connect(ws.result(), p, here);
                    });
                }));
    }

    private void connect(ServerWebSocket ws, ExecProcess p, Context here) {
        boolean[] done = {false};
        p.stdout().handler(data -> here.runOnContext(v -> {
            if (!ws.isClosed()) {
                ws.writeBinaryMessage(data);
                if (ws.writeQueueFull()) {
                    p.stdout().pause();
                    ws.drainHandler(d -> p.stdout().resume());
                }
            }
        }));
        p.stderr().handler(data -> { }); // with a tty stderr is empty and already ended (docs/agent-client.md)
        ws.binaryMessageHandler(p.stdin()::write);
        ws.textMessageHandler(text -> {
            JsonObject control;
            try {
                control = new JsonObject(text);
            } catch (DecodeException e) {
                ws.writeTextMessage(new JsonObject().put("type", "error").put("code", "INVALID_JSON")
                        .put("error", "a control frame must be JSON: {\"resize\":{\"rows\":R,\"cols\":C}} or"
                                + " {\"signal\":N}").encode());
                return;
            }
            JsonObject resize = control.getJsonObject("resize");
            if (resize != null) {
                p.resize(resize.getInteger("rows", 24), resize.getInteger("cols", 80));
            } else if (control.getInteger("signal") != null) {
                p.signal(control.getInteger("signal"));
            }
        });
        ws.closeHandler(v -> {
            if (!done[0]) {
                done[0] = true;
                metrics.exec("cancelled");
                p.kill();
            }
        });
        p.stdout().endHandler(end -> p.exitStatus().onComplete(ar -> here.runOnContext(v -> {
            if (done[0]) {
                return;
            }
            done[0] = true;
            JsonObject exit = new JsonObject().put("type", "exit");
            if (ar.succeeded()) {
                exit.put("code", ar.result().shellCode());
                if (ar.result() instanceof ExitStatus.Signaled s) {
                    exit.put("signal", s.signal());
                }
                metrics.exec("ok");
            } else {
                exit.put("type", "error").put("code", "INTERNAL").put("error", ar.cause().getMessage());
                metrics.exec("lost");
            }
            ws.writeTextMessage(exit.encode()).onComplete(w -> ws.close((short) 1000));
        })));
    }
}
