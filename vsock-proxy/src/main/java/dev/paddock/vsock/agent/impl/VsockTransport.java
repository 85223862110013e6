package dev.paddock.vsock.agent.impl;

import dev.paddock.vsock.mux.VsockSocket;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * An agent behind a sandbox's vsock device: a stream to guest port 1024 (PROTOCOL.md, "Transport"). The agent
 * ending its output, or the stream going away, both mean the agent closed the connection.
 */
final class VsockTransport implements AgentTransport {
    private final VsockSocket socket;
    private Handler<Void> closeHandler;
    private boolean closeReported;

    VsockTransport(VsockSocket socket) {
        this.socket = socket;
        socket.endHandler(v -> reportClose());
        socket.closed().onComplete(ar -> reportClose());
    }

    private void reportClose() {
        if (!closeReported && closeHandler != null) {
            closeReported = true;
            closeHandler.handle(null);
        }
    }

    @Override
    public void handler(Handler<Buffer> handler) {
        socket.handler(handler);
    }

    @Override
    public void exceptionHandler(Handler<Throwable> handler) {
        socket.exceptionHandler(handler);
    }

    @Override
    public void closeHandler(Handler<Void> handler) {
        this.closeHandler = handler;
    }

    @Override
    public Future<Void> write(Buffer bytes) {
        return socket.write(bytes);
    }

    @Override
    public Future<Void> close() {
        closeReported = true; // our own close is not the agent's
        return socket.reset();
    }

    @Override
    public String describe() {
        return socket.describe();
    }
}
