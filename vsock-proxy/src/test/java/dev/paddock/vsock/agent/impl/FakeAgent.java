package dev.paddock.vsock.agent.impl;

import dev.paddock.vsock.agent.wire.Frame;
import dev.paddock.vsock.agent.wire.FrameCodec;
import dev.paddock.vsock.agent.wire.HelloMessage;
import dev.paddock.vsock.agent.wire.Op;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * A scripted agent on a Vert.x NetServer over a unix socket: it answers HELLO (with a hello of the test's
 * choosing) and hands every later frame to the test's script, which can answer with good or broken frames.
 */
final class FakeAgent {
    final List<Frame> received = new CopyOnWriteArrayList<>();
    final Path socketPath;
    private final NetServer server;
    private volatile NetSocket peer;
    private volatile HelloMessage hello = new HelloMessage(1, 1, 0, 65536, 65536, 1024, "fake-agent/1");
    private volatile BiConsumer<FakeAgent, Frame> script = (agent, frame) -> { };

    private FakeAgent(Vertx vertx, Path socketPath) {
        this.socketPath = socketPath;
        this.server = vertx.createNetServer().connectHandler(socket -> {
            peer = socket;
            FrameCodec.Decoder decoder = new FrameCodec.Decoder(frame -> {
                received.add(frame);
                if (frame.op() == Op.HELLO && frame.stream() == 0) {
                    send(Frame.of(0, Op.HELLO, hello.encode()));
                } else {
                    script.accept(this, frame);
                }
            });
            socket.handler(decoder::feed);
        });
    }

    static Future<FakeAgent> start(Vertx vertx) {
        Path path;
        try {
            Path dir = Files.createTempDirectory("paddock-fake-agent");
            path = dir.resolve("agent.sock");
        } catch (IOException e) {
            return Future.failedFuture(e);
        }
        FakeAgent agent = new FakeAgent(vertx, path);
        return agent.server.listen(SocketAddress.domainSocketAddress(path.toString())).map(s -> agent);
    }

    SocketAddress address() {
        return SocketAddress.domainSocketAddress(socketPath.toString());
    }

    FakeAgent hello(HelloMessage reply) {
        this.hello = reply;
        return this;
    }

    FakeAgent script(BiConsumer<FakeAgent, Frame> handler) {
        this.script = handler;
        return this;
    }

    void send(Frame frame) {
        peer.write(FrameCodec.encode(frame));
    }

    void sendRaw(Buffer bytes) {
        peer.write(bytes);
    }

    void drop() {
        peer.close();
    }

    long bytesReceived(long stream, int op) {
        return received.stream().filter(f -> f.stream() == stream && f.op() == op)
                .mapToLong(f -> f.op() == Op.WINDOW ? f.payload().getUnsignedIntLE(0) : f.payload().length()).sum();
    }

    Future<Void> close() {
        return server.close();
    }
}
