package dev.paddock.daemon.api;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.messages.LifecycleRequests;
import dev.paddock.daemon.messages.SandboxEvent;
import dev.paddock.daemon.metrics.DaemonMetrics;
import dev.paddock.vsock.agent.AgentErrorReply;
import dev.paddock.vsock.agent.ExecProcess;
import dev.paddock.vsock.agent.ExecRequest;
import dev.paddock.vsock.agent.ExitStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /v1/sandboxes/{s}/exec}: a process without a terminal, its output streamed back as NDJSON chunks
 * (docs/api.md). Back-pressure goes end to end: when the HTTP response's write queue is full both output streams
 * are paused, which stops the agent's credit and so the process. A client that goes away kills the process.
 *
 * <p>The exec's streams call back on the agent connection's context; every write to the response hops onto the
 * request's context, so the response is only touched from its own event loop and chunks keep their order.
 */
final class ExecRoutes {
    private static final Set<String> FIELDS = Set.of("argv", "env", "cwd", "user", "stdin");

    private final Vertx vertx;
    private final Bus bus;
    private final DaemonMetrics metrics;

    ExecRoutes(Vertx vertx, Bus bus, DaemonMetrics metrics) {
        this.vertx = vertx;
        this.bus = bus;
        this.metrics = metrics;
    }

    void mount(Router router) {
        router.post("/v1/sandboxes/:sandbox/exec").handler(this::exec);
    }

    /** The request as the agent gets it, with the environment of {@link GuestEnv}. */
    static ExecRequest request(List<String> argv, dev.paddock.daemon.sandbox.SandboxSpec spec,
                               Map<String, String> execEnv, String cwd, String user) {
        Map<String, String> env = GuestEnv.of(spec, execEnv, user);
        try {
            return new ExecRequest(argv, List.of(), cwd, user, java.util.Optional.empty()).withEnv(env);
        } catch (IllegalArgumentException e) {
            throw DaemonException.invalid("argv", e.getMessage());
        }
    }

    /** An exec body's {@code argv}: at most ExecRequest.MAX_ARGC strings, and not empty (the API and the bridge). */
    static List<String> argv(JsonObject body) {
        List<String> argv = JsonBodies.strings(body, "argv", ExecRequest.MAX_ARGC);
        if (argv.isEmpty()) {
            throw DaemonException.invalid("argv", "argv is missing or empty; give the program and its arguments,"
                    + " e.g. [\"sh\", \"-c\", \"make test\"]");
        }
        return argv;
    }

    private void exec(RoutingContext ctx) {
        JsonObject body = JsonBodies.object(ctx);
        JsonBodies.onlyFields(body, FIELDS, "");
        List<String> argv = argv(body);
        Map<String, String> env = JsonBodies.stringMap(body, "env", true);
        String cwd = JsonBodies.string(body, "cwd", "", "");
        String user = JsonBodies.string(body, "user", "", "");
        String stdin64 = JsonBodies.string(body, "stdin", "", null);
        byte[] stdin;
        try {
            stdin = stdin64 == null ? null : Base64.getDecoder().decode(stdin64);
        } catch (IllegalArgumentException e) {
            throw DaemonException.invalid("stdin", "stdin is not base64: " + e.getMessage());
        }
        Context here = vertx.getOrCreateContext();
        bus.<LifecycleRequests.AgentHandle>request(Addresses.SANDBOX_AGENT,
                        new LifecycleRequests.Ref(SandboxRoutes.ref(ctx)))
                .compose(h -> {
                    ExecRequest req = request(argv, h.sandbox().spec(), env, cwd, user);
                    return h.agent().exec(req).map(p -> new Started(h, p)).recover(e -> Future.failedFuture(
                            execFailure(h.sandbox().id(), argv, e)));
                })
                .onComplete(ar -> here.runOnContext(v -> {
                    if (ar.failed()) {
                        metrics.exec("failed");
                        ApiErrors.send(ctx, ar.cause());
                    } else {
                        stream(ctx.response(), here, ar.result(), argv, stdin);
                    }
                }));
    }

    private record Started(LifecycleRequests.AgentHandle handle, ExecProcess process) {
    }

    static DaemonException execFailure(String sandbox, List<String> argv, Throwable e) {
        if (e instanceof AgentErrorReply reply) {
            return new DaemonException(ErrorCode.EXEC_FAILED, "sandbox " + sandbox + " could not run " + argv + ": "
                    + reply.getMessage());
        }
        return new DaemonException(ErrorCode.INTERNAL, "exec of " + argv + " in sandbox " + sandbox + " failed: "
                + e.getMessage());
    }

    private void stream(HttpServerResponse response, Context here, Started s, List<String> argv, byte[] stdin) {
        ExecProcess p = s.process();
        String sandbox = s.handle().sandbox().id();
        agentLog(sandbox, "exec pid " + p.pid() + " " + argv);
        response.setChunked(true).setStatusCode(200).putHeader("Content-Type", "application/x-ndjson");
        write(response, new JsonObject().put("type", "started").put("pid", p.pid()));
        boolean[] done = {false};
        response.closeHandler(v -> {
            if (!done[0]) {
                done[0] = true;
                metrics.exec("cancelled");
                agentLog(sandbox, "exec pid " + p.pid() + " killed: the API client went away");
                p.kill();
            }
        });
        Future<Void> out = pump(p.stdout(), "stdout", response, here, p);
        Future<Void> err = pump(p.stderr(), "stderr", response, here, p);
        if (stdin != null) {
            p.stdin().write(Buffer.buffer(stdin)).compose(v -> p.closeStdin());
        } else {
            p.closeStdin();
        }
        Future.all(out, err).compose(v -> p.exitStatus()).onComplete(ar -> here.runOnContext(v -> {
            if (done[0]) {
                return;
            }
            done[0] = true;
            if (ar.succeeded()) {
                ExitStatus status = ar.result();
                JsonObject exit = new JsonObject().put("type", "exit").put("code", status.shellCode());
                if (status instanceof ExitStatus.Signaled sig) {
                    exit.put("signal", sig.signal());
                }
                metrics.exec("ok");
                agentLog(sandbox, "exec pid " + p.pid() + " exit " + status.shellCode());
                write(response, exit);
            } else {
                metrics.exec("lost");
                agentLog(sandbox, "exec pid " + p.pid() + " lost: " + ar.cause().getMessage());
                write(response, new JsonObject().put("type", "error").put("code", ErrorCode.INTERNAL.name())
                        .put("error", "sandbox " + sandbox + " lost the process " + argv + " (pid " + p.pid() + "): "
                                + ar.cause().getMessage()));
            }
            response.end();
        }));
    }

    private Future<Void> pump(ReadStream<Buffer> stream, String type, HttpServerResponse response, Context here,
                              ExecProcess p) {
        io.vertx.core.Promise<Void> ended = io.vertx.core.Promise.promise();
        stream.exceptionHandler(ended::tryFail);
        stream.endHandler(v -> ended.tryComplete());
        stream.handler(data -> here.runOnContext(v -> {
            if (response.ended()) {
                return;
            }
            write(response, new JsonObject().put("type", type)
                    .put("data", Base64.getEncoder().encodeToString(data.getBytes())));
            if (response.writeQueueFull()) {
                stream.pause();
                response.drainHandler(d -> {
                    p.stdout().resume();
                    p.stderr().resume();
                });
            }
        }));
        return ended.future();
    }

    private static void write(HttpServerResponse response, JsonObject chunk) {
        response.write(chunk.encode() + "\n");
    }

    private void agentLog(String sandbox, String line) {
        vertx.eventBus().send(Addresses.AGENT_LOG, new SandboxEvent.AgentLogLine(Instant.now().toString(), sandbox,
                line));
    }
}
