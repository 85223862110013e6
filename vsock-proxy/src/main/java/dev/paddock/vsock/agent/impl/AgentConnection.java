package dev.paddock.vsock.agent.impl;

import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.agent.AgentClientOptions;
import dev.paddock.vsock.agent.AgentConnectionException;
import dev.paddock.vsock.agent.AgentErrorCode;
import dev.paddock.vsock.agent.AgentErrorReply;
import dev.paddock.vsock.agent.AgentException;
import dev.paddock.vsock.agent.AgentInfo;
import dev.paddock.vsock.agent.AgentProtocolException;
import dev.paddock.vsock.agent.AgentStream;
import dev.paddock.vsock.agent.ExecProcess;
import dev.paddock.vsock.agent.ExecRequest;
import dev.paddock.vsock.agent.FsInvalidated;
import dev.paddock.vsock.agent.FsInvalidation;
import dev.paddock.vsock.agent.Health;
import dev.paddock.vsock.agent.StreamTarget;
import dev.paddock.vsock.agent.wire.Frame;
import dev.paddock.vsock.agent.wire.FrameCodec;
import dev.paddock.vsock.agent.wire.HelloMessage;
import dev.paddock.vsock.agent.wire.Op;
import dev.paddock.vsock.agent.wire.Payloads;
import dev.paddock.vsock.mux.VsockSocket;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One connection to an agent: the frame dispatcher and stream multiplexer of guest/PROTOCOL.md, and the
 * implementation of {@link AgentClient}.
 *
 * <p>All state is confined to one Vert.x context ({@link #context}); public methods hop onto it. Stream ids are
 * odd (§2) and never reused on a connection, so frames that arrive for a stream after it was reset or finished
 * (they may cross on the wire) are recognised as stale and dropped.
 */
public final class AgentConnection implements AgentClient {
    /** §2: the host opens odd ids; ids are u32. */
    private static final long FIRST_STREAM_ID = 1;
    private static final long MAX_STREAM_ID = 0xFFFF_FFFFL;

    private final Vertx vertx;
    private final Context context;
    private final AgentTransport socket;
    /** Where the agent is, for messages: a socket address or a vsock stream. */
    private final String address;
    private final AgentClientOptions options;
    private final FrameCodec.Decoder decoder = new FrameCodec.Decoder(this::onFrame);
    private final Map<Long, AgentStreamState> streams = new HashMap<>();
    private final Promise<AgentClient> helloPromise = Promise.promise();
    private final Promise<Void> closePromise = Promise.promise();

    private long nextStreamId = FIRST_STREAM_ID;
    private AgentInfo agent;
    private Throwable failure;
    private long helloTimer;
    private boolean closedByClient;

    private AgentConnection(Vertx vertx, Context context, AgentTransport transport, AgentClientOptions options) {
        this.vertx = vertx;
        this.context = context;
        this.socket = transport;
        this.address = transport.describe();
        this.options = options;
    }

    /** See {@link AgentClient#connect(Vertx, SocketAddress, AgentClientOptions)}. */
    public static Future<AgentClient> connect(Vertx vertx, SocketAddress address, AgentClientOptions options) {
        AgentClientOptions opts = options.copy();
        Context context = vertx.getOrCreateContext();
        Promise<AgentClient> connected = Promise.promise();
        context.runOnContext(v -> {
            long timeoutMs = opts.helloTimeout().toMillis();
            NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout((int) timeoutMs));
            client.connect(address).onComplete(ar -> {
                if (ar.failed()) {
                    client.close();
                    connected.fail(new AgentConnectionException("cannot connect to the agent at " + address + ": "
                            + ar.cause().getMessage() + "; check that the agent runs and listens there", ar.cause()));
                    return;
                }
                AgentConnection connection = new AgentConnection(vertx, context,
                        new NetSocketTransport(client, ar.result(), address), opts);
                connection.start();
                connection.helloPromise.future().onComplete(connected);
            });
        });
        return connected.future();
    }

    /**
     * See {@link AgentClient#connect(Vertx, VsockSocket, AgentClientOptions)}: speaks the protocol over a vsock
     * stream that is already open to the agent's port. The connection lives on the socket's context, since the
     * socket's handlers run there.
     */
    public static Future<AgentClient> connect(Vertx vertx, VsockSocket socket, AgentClientOptions options) {
        AgentClientOptions opts = options.copy();
        Context context = socket.context();
        Promise<AgentClient> connected = Promise.promise();
        context.runOnContext(v -> {
            AgentConnection connection = new AgentConnection(vertx, context, new VsockTransport(socket), opts);
            connection.start();
            connection.helloPromise.future().onComplete(connected);
        });
        return connected.future();
    }

    private void start() {
        socket.handler(this::onBytes);
        // A peer killed with unread bytes in its socket resets the connection instead of closing it (unix(7),
        // tcp(7)): to the user both mean the agent is gone, so both say so.
        socket.exceptionHandler(e -> fail(new AgentConnectionException("lost the connection to the agent at "
                + address + " (" + e.getMessage() + ")" + (streams.isEmpty() ? "" : " with " + streams.size()
                + " streams open") + "; the agent exited or the sandbox stopped", e), false));
        socket.closeHandler(v -> fail(new AgentConnectionException("the agent at " + address
                + " closed the connection" + (decoder.bufferedBytes() > 0
                        ? " in the middle of a frame (" + decoder.bufferedBytes() + " bytes of it received)" : "")
                + (streams.isEmpty() ? "" : " with " + streams.size() + " streams open")
                + "; the agent exited or the sandbox stopped"), false));
        HelloMessage hello = new HelloMessage(HelloMessage.MAJOR, HelloMessage.MINOR, 0, options.initialWindow(),
                Frame.MAX_PAYLOAD, MAX_STREAMS_ACCEPTED, options.software());
        send(Frame.of(0, Op.HELLO, hello.encode()));
        helloTimer = vertx.setTimer(options.helloTimeout().toMillis(), id -> {
            if (agent == null) {
                fail(new AgentConnectionException("the agent at " + address + " did not answer HELLO within "
                        + options.helloTimeout().toMillis() + " ms; is it a Paddock agent, and is it alive?"), false);
            }
        });
    }

    /**
     * §4 {@code max_streams} as the host announces it: how many agent-opened streams it accepts. This client opens
     * none of its own for the agent (no EGRESS feature), but announces the agent's limit for symmetry.
     */
    private static final long MAX_STREAMS_ACCEPTED = 1024;

    // ---- inbound ----

    private void onBytes(Buffer bytes) {
        if (failure != null) {
            return;
        }
        try {
            decoder.feed(bytes);
        } catch (AgentProtocolException e) {
            fail(e, true);
        } catch (RuntimeException e) {
            // A bug of ours, or a user callback that threw: the connection is in an unknown state; end it clearly.
            fail(new AgentException("agent connection " + address + " failed while handling a frame: " + e, e), false);
        }
    }

    private void onFrame(Frame frame) {
        if (failure != null) {
            return;
        }
        if (agent == null) {
            onFrameBeforeHello(frame);
            return;
        }
        if (frame.stream() == 0) {
            onConnectionFrame(frame);
            return;
        }
        checkChannel(frame);
        switch (frame.op()) {
            case Op.EXEC, Op.SIGNAL, Op.RESIZE, Op.STREAM_OPEN, Op.HEALTH, Op.FS_INVALIDATE, Op.SHUTDOWN, Op.DNS_REPLY ->
                    throw new AgentProtocolException(Op.name(frame.op()) + " on stream " + frame.stream()
                            + " came from the agent; only the host sends it (PROTOCOL.md §3)");
            case Op.EGRESS_CONNECT, Op.DNS_QUERY -> {
                // §9: this client never sets EGRESS, so the agent must not use these; answer as §3 says.
                send(new Frame(frame.stream(), Op.ERROR, 0, 0, Payloads.error(AgentErrorCode.NOT_IMPLEMENTED,
                        Op.name(frame.op()) + " is not implemented by this host (EGRESS was not negotiated)")));
                return;
            }
            case Op.HELLO, Op.ERROR, Op.EXEC_STARTED, Op.EXIT, Op.STREAM_OPENED, Op.DATA, Op.EOF, Op.WINDOW,
                    Op.RESET, Op.CLOSE, Op.HEALTH_REPLY, Op.FS_INVALIDATED, Op.SHUTTING_DOWN -> {
                // handled below
            }
            default -> {
                // §3: an unknown op is answered with UNKNOWN_OP on its stream and the stream stays (NONFATAL).
                send(new Frame(frame.stream(), Op.ERROR, 0, Op.ERROR_FLAG_NONFATAL,
                        Payloads.error(AgentErrorCode.UNKNOWN_OP, Op.name(frame.op()) + " is unknown to this host")));
                return;
            }
        }
        if (frame.op() == Op.HELLO) {
            throw new AgentProtocolException("HELLO on stream " + frame.stream() + "; HELLO belongs on stream 0 once");
        }
        AgentStreamState stream = streams.get(frame.stream());
        if (stream == null) {
            boolean stale = frame.stream() % 2 == 1 && frame.stream() < nextStreamId;
            boolean racy = frame.op() == Op.DATA || frame.op() == Op.EOF || frame.op() == Op.WINDOW
                    || frame.op() == Op.RESET;
            if (stale || racy) {
                return; // §2: frames for a stream that ended race with its end and are dropped
            }
            throw new AgentProtocolException(Op.name(frame.op()) + " for stream " + frame.stream()
                    + ", which the host never opened (PROTOCOL.md §2)");
        }
        stream.onFrame(frame);
    }

    private void onFrameBeforeHello(Frame frame) {
        if (frame.stream() == 0 && frame.op() == Op.ERROR) {
            AgentErrorReply reply = Payloads.error("the agent at " + address + " refused the connection", frame.payload());
            fail(reply, false);
            return;
        }
        if (frame.stream() != 0 || frame.op() != Op.HELLO) {
            throw new AgentProtocolException("the agent's first frame is " + frame + "; it must be HELLO on stream 0"
                    + " (PROTOCOL.md §4)");
        }
        HelloMessage hello = HelloMessage.decodeFromAgent(frame.payload());
        vertx.cancelTimer(helloTimer);
        agent = new AgentInfo(hello.major(), hello.minor(), hello.features(), hello.initialWindow(),
                hello.maxStreams(), hello.software());
        helloPromise.tryComplete(this);
    }

    private void onConnectionFrame(Frame frame) {
        if (frame.op() == Op.ERROR) {
            AgentErrorReply reply = Payloads.error("the agent at " + address + " ended the connection",
                    frame.payload());
            fail(reply, false);
            return;
        }
        throw new AgentProtocolException(frame + " on stream 0; after HELLO only ERROR belongs there"
                + " (PROTOCOL.md §2)");
    }

    /** §1 and §5: DATA and EOF from the agent carry chan 1 or 2, WINDOW chan 0, everything else chan 0. */
    private static void checkChannel(Frame frame) {
        int chan = frame.chan();
        boolean valid = switch (frame.op()) {
            case Op.DATA, Op.EOF -> chan == Op.CHAN_STDOUT || chan == Op.CHAN_STDERR;
            case Op.WINDOW -> chan == Op.CHAN_STDIN;
            default -> chan == 0;
        };
        if (!valid) {
            throw new AgentProtocolException(frame + " has chan " + chan + ", which is not valid for "
                    + Op.name(frame.op()) + " from the agent (PROTOCOL.md §5)");
        }
    }

    // ---- outbound ----

    Future<Void> send(Frame frame) {
        if (failure != null) {
            return Future.failedFuture(failure);
        }
        return socket.write(FrameCodec.encode(frame));
    }

    Future<Void> sendData(long stream, Buffer chunk) {
        return send(new Frame(stream, Op.DATA, Op.CHAN_STDIN, 0, chunk));
    }

    Future<Void> sendEof(long stream) {
        return send(new Frame(stream, Op.EOF, Op.CHAN_STDIN, 0, Buffer.buffer(0)));
    }

    /** Grants the agent credit on an output channel, unless the stream has ended (then it would be dropped). */
    void sendWindow(long stream, int chan, int increment) {
        if (streams.containsKey(stream)) {
            send(new Frame(stream, Op.WINDOW, chan, 0, Payloads.window(increment)));
        }
    }

    /** Aborts a stream (RESET, §2): its id leaves the table at once, and late frames for it are dropped. */
    void sendResetOf(long stream) {
        streams.remove(stream);
        send(Frame.empty(stream, Op.RESET));
    }

    /**
     * The agent broke the protocol on one stream in a way §5 makes fatal for that stream only (DATA after EOF):
     * tell it with ERROR PROTOCOL on the stream, forget the stream, and fail it; the connection stays.
     */
    void streamProtocolError(long stream, AgentStreamState state, String message) {
        streams.remove(stream);
        send(Frame.of(stream, Op.ERROR, Payloads.error(AgentErrorCode.PROTOCOL, message)));
        state.fail(new AgentProtocolException(message));
    }

    /** A stream's final frame arrived: its id leaves the table. */
    void finished(long stream) {
        streams.remove(stream);
    }

    Context context() {
        return context;
    }

    int initialWindow() {
        return options.initialWindow();
    }

    long agentWindow() {
        return agent.initialWindow();
    }

    String describe() {
        return "agent at " + address;
    }

    // ---- AgentClient ----

    @Override
    public Future<ExecProcess> exec(ExecRequest request) {
        return onContext(() -> {
            long id = openId();
            ExecProcessImpl process = new ExecProcessImpl(this, id, request);
            streams.put(id, process);
            send(Frame.of(id, Op.EXEC, Payloads.exec(request)));
            return process.started();
        });
    }

    @Override
    public Future<AgentStream> openStream(StreamTarget target) {
        return onContext(() -> {
            long id = openId();
            AgentStreamImpl stream = new AgentStreamImpl(this, id, target);
            streams.put(id, stream);
            send(Frame.of(id, Op.STREAM_OPEN, Payloads.streamOpen(target)));
            return stream.opened();
        });
    }

    @Override
    public Future<Health> health() {
        return onContext(() -> {
            long id = openId();
            AgentRequest<Health> request = new AgentRequest<>(this, id, "HEALTH", Op.HEALTH_REPLY,
                    Payloads::healthReply);
            streams.put(id, request);
            send(Frame.empty(id, Op.HEALTH));
            return request.reply();
        });
    }

    @Override
    public Future<FsInvalidated> invalidateFs(FsInvalidation invalidation) {
        return onContext(() -> {
            if (agent.minor() < 1) {
                throw new AgentException("the " + describe() + " speaks protocol " + agent.major() + "." + agent.minor()
                        + "; FS_INVALIDATE needs 1.1 (PROTOCOL.md §13): update the agent image");
            }
            long id = openId();
            AgentRequest<FsInvalidated> request = new AgentRequest<>(this, id, "FS_INVALIDATE", Op.FS_INVALIDATED,
                    Payloads::fsInvalidated);
            streams.put(id, request);
            send(Frame.of(id, Op.FS_INVALIDATE, Payloads.fsInvalidate(invalidation)));
            return request.reply();
        });
    }

    @Override
    public Future<Void> shutdown() {
        return onContext(() -> {
            long id = openId();
            AgentRequest<Void> request = new AgentRequest<>(this, id, "SHUTDOWN", Op.SHUTTING_DOWN, payload -> {
                if (payload.length() != 0) {
                    throw new AgentProtocolException("SHUTTING_DOWN carries " + payload.length()
                            + " bytes; its payload is empty (PROTOCOL.md §3)");
                }
                return null;
            });
            streams.put(id, request);
            send(Frame.of(id, Op.SHUTDOWN, Payloads.shutdown()));
            return request.reply();
        });
    }

    @Override
    public Future<Void> close() {
        return onContext(() -> {
            closedByClient = failure == null;
            fail(new AgentConnectionException("the client closed its connection to the " + describe()), false);
            return closePromise.future().otherwiseEmpty();
        });
    }

    @Override
    public AgentInfo agent() {
        return agent;
    }

    @Override
    public Future<Void> closeFuture() {
        return closePromise.future();
    }

    private long openId() {
        if (failure != null) {
            throw new AgentConnectionException("cannot open a stream: " + failure.getMessage(), failure);
        }
        // The agent refuses more than its max_streams with TOO_MANY_STREAMS; fail here with the same meaning.
        if (streams.size() >= agent.maxStreams()) {
            throw new AgentException("the " + describe() + " allows " + agent.maxStreams()
                    + " open streams per connection and all are in use; wait for some to end or open another connection");
        }
        if (nextStreamId > MAX_STREAM_ID) {
            throw new AgentException("stream ids of the connection to the " + describe()
                    + " are used up (ids are never reused); open a new connection");
        }
        long id = nextStreamId;
        nextStreamId += 2;
        return id;
    }

    /**
     * Ends the connection once: every open stream and pending future fails with {@code cause}. A protocol error
     * of the agent's is reported to it first ({@code ERROR} on stream 0, §1), as the spec asks.
     */
    private void fail(Throwable cause, boolean tellAgent) {
        if (failure != null) {
            return;
        }
        if (tellAgent && cause instanceof AgentProtocolException p) {
            socket.write(FrameCodec.encode(Frame.of(0, Op.ERROR, Payloads.error(p.code(), p.getMessage()))));
        }
        failure = cause;
        vertx.cancelTimer(helloTimer);
        helloPromise.tryFail(cause);
        List<AgentStreamState> open = new ArrayList<>(streams.values());
        streams.clear();
        AgentException forStreams = cause instanceof AgentConnectionException c ? c
                : new AgentConnectionException("the connection to the " + describe() + " failed: "
                        + cause.getMessage(), cause);
        for (AgentStreamState stream : open) {
            stream.fail(forStreams);
        }
        socket.close();
        if (closedByClient) {
            closePromise.tryComplete();
        } else {
            closePromise.tryFail(cause);
        }
    }

    private <T> Future<T> onContext(Supplier<Future<T>> action) {
        if (Vertx.currentContext() == context) {
            return run(action);
        }
        Promise<T> result = Promise.promise();
        context.runOnContext(v -> run(action).onComplete(result));
        return result.future();
    }

    private static <T> Future<T> run(Supplier<Future<T>> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    /** Called from a stream's frame handler on the context: a protocol error there ends the connection. */
    void protocolError(AgentProtocolException e) {
        fail(e, true);
    }
}
