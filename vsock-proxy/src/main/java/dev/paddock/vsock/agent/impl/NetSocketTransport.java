package dev.paddock.vsock.agent.impl;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;

/** An agent in loopback mode on a unix socket (or any socket address), through its own {@link NetClient}. */
final class NetSocketTransport implements AgentTransport {
    private final NetClient client;
    private final NetSocket socket;
    private final SocketAddress address;

    NetSocketTransport(NetClient client, NetSocket socket, SocketAddress address) {
        this.client = client;
        this.socket = socket;
        this.address = address;
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
        socket.closeHandler(handler);
    }

    @Override
    public Future<Void> write(Buffer bytes) {
        return socket.write(bytes);
    }

    @Override
    public Future<Void> close() {
        return socket.close().eventually(client::close);
    }

    @Override
    public String describe() {
        return address.toString();
    }
}
