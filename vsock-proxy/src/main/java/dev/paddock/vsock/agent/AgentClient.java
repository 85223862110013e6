package dev.paddock.vsock.agent;

import dev.paddock.runtime.virtio.vsock.VsockConnector;
import dev.paddock.vsock.agent.impl.AgentConnection;
import dev.paddock.vsock.mux.VsockMuxer;
import dev.paddock.vsock.mux.VsockSocket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;

/**
 * A connection to one guest agent, speaking guest/PROTOCOL.md: exec, stream open, health and shutdown, many at
 * once over one connection, each with credit-based flow control both ways.
 *
 * <p>Every method may be called from any thread; the connection's state lives on one Vert.x context (the one
 * current when {@link #connect} was called, or a new event loop), and callbacks run there. Nothing blocks.
 */
public interface AgentClient {
    /** PROTOCOL.md, "Transport": the agent listens on AF_VSOCK port 1024 in the guest. */
    int VSOCK_PORT = 1024;

    /** Connects with default options; see {@link #connect(Vertx, SocketAddress, AgentClientOptions)}. */
    static Future<AgentClient> connect(Vertx vertx, SocketAddress agent) {
        return connect(vertx, agent, new AgentClientOptions());
    }

    /**
     * Connects to an agent (in loopback mode, {@code SocketAddress.domainSocketAddress(path)}), exchanges
     * {@code HELLO}s and checks the agent's version. Fails with {@link AgentVersionException} when the agent speaks
     * another major version, and with {@link AgentConnectionException} when it does not answer in time.
     */
    static Future<AgentClient> connect(Vertx vertx, SocketAddress agent, AgentClientOptions options) {
        return AgentConnection.connect(vertx, agent, options);
    }

    /**
     * Speaks the protocol over a vsock stream already open to the agent's port ({@link #VSOCK_PORT}); the
     * connection lives on the socket's context. Fails like {@link #connect(Vertx, SocketAddress, AgentClientOptions)}.
     */
    static Future<AgentClient> connect(Vertx vertx, VsockSocket socket, AgentClientOptions options) {
        return AgentConnection.connect(vertx, socket, options);
    }

    /**
     * Opens a stream to the agent's vsock port through a sandbox's device and connects over it. Fails with
     * {@link AgentConnectionException} when the stream cannot be opened (nothing listens yet: the guest is still
     * booting, or the agent died).
     */
    static Future<AgentClient> connect(Vertx vertx, VsockConnector device, String sandbox, AgentClientOptions options) {
        return VsockMuxer.open(vertx, device, VSOCK_PORT, "vsock stream to the agent (port " + VSOCK_PORT
                + ") of sandbox " + sandbox)
                .recover(e -> Future.failedFuture(new AgentConnectionException("cannot connect to the agent of sandbox "
                        + sandbox + " on vsock port " + VSOCK_PORT + ": " + e.getMessage()
                        + "; is the sandbox booted and its agent running?", e)))
                .compose(socket -> connect(vertx, socket, options));
    }

    /** Starts a process; completes once it runs (EXEC_STARTED), fails with {@link AgentErrorReply} if it cannot. */
    Future<ExecProcess> exec(ExecRequest request);

    /** Opens a byte stream to a socket in the guest; fails with {@link AgentErrorReply} (CONNECT_FAILED). */
    Future<AgentStream> openStream(StreamTarget target);

    /** Asks the agent how it is. */
    Future<Health> health();

    /**
     * Tells the guest that these paths changed on the host (PROTOCOL.md §13, protocol 1.1): the agent refreshes what
     * the guest's kernel cached of them. Fails with {@link AgentException} on a 1.0 agent.
     */
    Future<FsInvalidated> invalidateFs(FsInvalidation invalidation);

    /** Asks the agent to shut down in order; completes when it has acknowledged (SHUTTING_DOWN). */
    Future<Void> shutdown();

    /** Closes the connection; everything still open fails with {@link AgentConnectionException}. */
    Future<Void> close();

    /** What the agent announced in its HELLO. */
    AgentInfo agent();

    /** Completes when the connection ends, with the reason as a failure unless {@link #close()} ended it. */
    Future<Void> closeFuture();
}
