package dev.paddock.vsock.agent.impl;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * The byte stream an {@link AgentConnection} speaks PROTOCOL.md over: a unix socket to an agent in loopback mode
 * ({@link NetSocketTransport}) or a vsock stream to port 1024 of a guest ({@link VsockTransport}). Handlers run on
 * the connection's context.
 *
 * <p>Writes are not flow-controlled here: the protocol bounds what the client sends by the agent's credit on
 * every channel, and control frames are small.
 */
interface AgentTransport {
    /** Bytes from the agent. */
    void handler(Handler<Buffer> handler);

    /** The transport broke (reset, I/O error). */
    void exceptionHandler(Handler<Throwable> handler);

    /** The agent closed its end; called once. */
    void closeHandler(Handler<Void> handler);

    Future<Void> write(Buffer bytes);

    /** Ends the transport and frees what it holds. */
    Future<Void> close();

    /** Where the agent is, for messages: "agent at ...". */
    String describe();
}
