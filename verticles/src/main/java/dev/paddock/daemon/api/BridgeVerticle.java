package dev.paddock.daemon.api;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.bus.Replies;
import dev.paddock.daemon.messages.LifecycleRequests;
import dev.paddock.daemon.messages.SandboxEvent;
import dev.paddock.daemon.metrics.DaemonMetrics;
import dev.paddock.daemon.sandbox.SandboxRecord;
import dev.paddock.daemon.sandbox.SandboxStore;
import dev.paddock.vsock.agent.ExecProcess;
import dev.paddock.vsock.agent.ExitStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.streams.ReadStream;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.BridgeOptions;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.eventbus.bridge.tcp.BridgeEvent;
import io.vertx.ext.eventbus.bridge.tcp.TcpEventBusBridge;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The TCP event-bus bridge (docs/event-bus.md): services outside the JVM speak Vert.x's 4-byte length-prefixed JSON
 * frames to a JSON facade of the daemon. The daemon's own addresses carry Java records and never cross the bridge;
 * only the {@code paddock.bridge.*} addresses below are permitted, and every send, publish and register frame needs
 * {@code headers.token} = the daemon's token ({@code $PADDOCK_STATE/daemon.token}).
 */
public final class BridgeVerticle extends VerticleBase {
    /** Request/reply, JSON in, JSON out. */
    public static final String CREATE = "paddock.bridge.sandboxes.create";
    public static final String LIST = "paddock.bridge.sandboxes.list";
    public static final String GET = "paddock.bridge.sandboxes.get";
    public static final String STOP = "paddock.bridge.sandboxes.stop";
    public static final String REMOVE = "paddock.bridge.sandboxes.remove";
    public static final String EXEC = "paddock.bridge.sandboxes.exec";
    /** Published: every sandbox event as the API's JSON; and one sandbox's ({@link #sandboxEvents}). */
    public static final String EVENTS = "paddock.bridge.events";

    public static String sandboxEvents(String id) {
        return "paddock.bridge.sandbox." + id + ".events";
    }

    static final List<String> INBOUND = List.of(CREATE, LIST, GET, STOP, REMOVE, EXEC);
    static final String OUTBOUND_REGEX = "paddock\\.bridge\\.(events|sandbox\\.[a-z0-9-]{1,64}\\.events)";
    /** An exec over the bridge buffers its output into one reply: at most this much of each stream is kept. */
    static final int MAX_EXEC_OUTPUT = 1024 * 1024;
    private static final Set<BridgeEventType> NEEDS_TOKEN = Set.of(BridgeEventType.SEND, BridgeEventType.PUBLISH,
            BridgeEventType.REGISTER);

    private final String host;
    private final int port;
    private final byte[] token;
    private final SandboxStore store;
    private final Duration slowTimeout;
    private final DaemonMetrics metrics;
    private TcpEventBusBridge bridge;
    private int boundPort = -1;

    public BridgeVerticle(String host, int port, String token, SandboxStore store, Duration slowTimeout,
                          DaemonMetrics metrics) {
        if (port < 1 || port > 65535) {
            // TcpEventBusBridge does not report the port it bound, so "any port" could not be told to clients.
            throw new IllegalArgumentException("the event-bus bridge needs a fixed port 1..65535 (--bridge HOST:PORT),"
                    + " not " + port);
        }
        this.host = host;
        this.port = port;
        this.token = token.getBytes(StandardCharsets.US_ASCII);
        this.store = store;
        this.slowTimeout = slowTimeout;
        this.metrics = metrics;
    }

    /** The bound port, -1 before start. */
    public int port() {
        return boundPort;
    }

    @Override
    public Future<?> start() {
        Bus bus = new Bus(vertx, slowTimeout);
        SandboxRoutes sandboxes = new SandboxRoutes(vertx, bus, store);
        EventBus eb = vertx.eventBus();
        answer(eb, CREATE, body -> {
            CreateSandboxParser.Parsed parsed = CreateSandboxParser.parse(body.copy().put("start", body.getBoolean("start", true)));
            return sandboxes.create(parsed, true).map(sandboxes::json);
        });
        answer(eb, LIST, body -> bus.<LifecycleRequests.SandboxList>request(Addresses.SANDBOX_LIST,
                new LifecycleRequests.ListAll()).map(l -> {
                    JsonArray all = new JsonArray();
                    l.sandboxes().forEach(r -> all.add(sandboxes.json(r)));
                    return new JsonObject().put("sandboxes", all);
                }));
        answer(eb, GET, body -> sandboxes.getRef(ref(body)).map(sandboxes::json));
        answer(eb, STOP, body -> bus.<SandboxRecord>requestSlow(Addresses.SANDBOX_STOP,
                new LifecycleRequests.Stop(ref(body), true, body.getInteger("timeoutSeconds", 10))).map(sandboxes::json));
        answer(eb, REMOVE, body -> bus.<SandboxRecord>requestSlow(Addresses.SANDBOX_REMOVE,
                new LifecycleRequests.Remove(ref(body), body.getBoolean("force", false))).map(sandboxes::json));
        answer(eb, EXEC, body -> exec(bus, body));
        eb.<SandboxEvent>localConsumer(Addresses.EVENTS, m -> {
            JsonObject json = m.body().toJson();
            eb.publish(EVENTS, json);
            eb.publish(sandboxEvents(m.body().sandbox()), json);
        });

        BridgeOptions options = new BridgeOptions();
        INBOUND.forEach(a -> options.addInboundPermitted(new PermittedOptions().setAddress(a)));
        options.addOutboundPermitted(new PermittedOptions().setAddressRegex(OUTBOUND_REGEX));
        bridge = TcpEventBusBridge.create(vertx, options, new NetServerOptions(), this::check);
        return bridge.listen(port, host).onSuccess(b -> boundPort = port);
    }

    @Override
    public Future<?> stop() {
        return bridge != null ? bridge.close() : Future.succeededFuture();
    }

    /** Frames that act need the token in their headers; the token is taken out before the message goes on. */
    private void check(BridgeEvent event) {
        if (!NEEDS_TOKEN.contains(event.type())) {
            event.complete(true);
            return;
        }
        JsonObject raw = event.getRawMessage();
        JsonObject headers = raw != null ? raw.getJsonObject("headers") : null;
        String given = headers != null ? headers.getString("token") : null;
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.US_ASCII), token)) {
            event.complete(false);
            return;
        }
        JsonObject clean = raw.copy();
        clean.getJsonObject("headers").remove("token");
        event.setRawMessage(clean);
        event.complete(true);
    }

    private static void answer(EventBus eb, String address, Function<JsonObject, Future<JsonObject>> handler) {
        eb.<JsonObject>localConsumer(address, m -> {
            Future<JsonObject> result;
            try {
                result = handler.apply(m.body() != null ? m.body() : new JsonObject());
            } catch (RuntimeException e) {
                result = Future.failedFuture(e);
            }
            reply(m, result);
        });
    }

    private static void reply(Message<JsonObject> m, Future<JsonObject> result) {
        result.onComplete(ar -> {
            if (ar.succeeded()) {
                m.reply(ar.result());
            } else {
                Replies.fail(m, ar.cause() instanceof DaemonException ? ar.cause()
                        : Replies.toDaemonException(ar.cause(), m.address()));
            }
        });
    }

    private static String ref(JsonObject body) {
        Object s = body.getValue("sandbox");
        if (!(s instanceof String ref) || ref.isEmpty()) {
            throw DaemonException.invalid("sandbox", "the body needs \"sandbox\": the sandbox's id or name");
        }
        return ref;
    }

    private Future<JsonObject> exec(Bus bus, JsonObject body) {
        String ref = ref(body);
        List<String> argv = ExecRoutes.argv(body);
        Map<String, String> env = JsonBodies.stringMap(body, "env", true);
        String cwd = JsonBodies.string(body, "cwd", "", "");
        String stdin = body.getString("stdin");
        return bus.<LifecycleRequests.AgentHandle>request(Addresses.SANDBOX_AGENT, new LifecycleRequests.Ref(ref))
                .compose(h -> h.agent().exec(ExecRoutes.request(argv, h.sandbox().spec(), env, cwd, ""))
                        .recover(e -> Future.failedFuture(ExecRoutes.execFailure(h.sandbox().id(), argv, e))))
                .compose(p -> {
                    io.vertx.core.Context here = vertx.getOrCreateContext();
                    Future<Buffer> out = collect(p.stdout(), here);
                    Future<Buffer> err = collect(p.stderr(), here);
                    (stdin != null ? p.stdin().write(Buffer.buffer(stdin)).compose(v -> p.closeStdin()) : p.closeStdin())
                            .onFailure(e -> p.kill());
                    return Future.all(out, err).compose(v -> p.exitStatus()).map(status -> {
                        JsonObject r = new JsonObject().put("code", status.shellCode())
                                .put("stdout", out.result().toString(StandardCharsets.UTF_8))
                                .put("stderr", err.result().toString(StandardCharsets.UTF_8))
                                .put("truncated", out.result().length() >= MAX_EXEC_OUTPUT
                                        || err.result().length() >= MAX_EXEC_OUTPUT);
                        if (status instanceof ExitStatus.Signaled s) {
                            r.put("signal", s.signal());
                        }
                        return r;
                    });
                })
                .onComplete(ar -> metrics.exec(ar.succeeded() ? "ok" : "failed"));
    }

    /** Keeps the first MAX_EXEC_OUTPUT bytes and reads on to the end, so the process never stalls on a full pipe. */
    private static Future<Buffer> collect(ReadStream<Buffer> stream, io.vertx.core.Context here) {
        Promise<Buffer> done = Promise.promise();
        Buffer kept = Buffer.buffer();
        stream.exceptionHandler(e -> here.runOnContext(v -> done.tryFail(e)));
        stream.handler(data -> here.runOnContext(v -> {
            int room = MAX_EXEC_OUTPUT - kept.length();
            if (room > 0) {
                kept.appendBuffer(data.length() <= room ? data : data.slice(0, room));
            }
        }));
        stream.endHandler(end -> here.runOnContext(v -> done.tryComplete(kept)));
        return done.future();
    }
}
