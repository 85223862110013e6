package dev.paddock.cli.tty;

import dev.paddock.cli.api.ApiException;
import dev.paddock.cli.api.DaemonClient;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The daemon's terminal WebSocket, opened by upgrading a plain HTTP request on the client's endpoint (unix socket
 * or TCP) and framed by {@link WebSocketFrames}. Starts paused: the caller sets its handlers, then resumes it.
 */
final class TerminalSocket {
    /** RFC 6455 §1.3: the GUID the server appends to the key before hashing it into Sec-WebSocket-Accept. */
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final NetSocket socket;
    /** The connection's event loop: handlers run there, and writes from the stdin thread are handed to it. */
    private final Context context;
    private final WebSocketFrames.Decoder decoder = new WebSocketFrames.Decoder();
    private Handler<Buffer> binaryHandler = b -> { };
    private Handler<String> textHandler = t -> { };
    private Handler<Throwable> exceptionHandler = e -> { };
    private Handler<Void> closeHandler = v -> { };
    private volatile boolean closed;

    private TerminalSocket(NetSocket socket, Context context) {
        this.socket = socket;
        this.context = context;
    }

    static TerminalSocket open(DaemonClient client, String path) {
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        DaemonClient.Upgraded up = client.upgrade(path, key, "websocket");
        NetSocket socket = up.socket();
        try {
            checkAccept(key, up.accept());
        } catch (RuntimeException e) {
            up.context().runOnContext(v -> socket.close());
            throw e;
        }
        TerminalSocket ts = new TerminalSocket(socket, up.context());
        socket.handler(ts::onBytes);
        socket.exceptionHandler(e -> ts.exceptionHandler.handle(e));
        socket.closeHandler(v -> {
            ts.closed = true;
            ts.closeHandler.handle(null);
        });
        return ts;
    }

    /** Throws unless the server's Sec-WebSocket-Accept is the hash of our key (RFC 6455 §4.1, item 4 of the checks). */
    private static void checkAccept(String key, String accept) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
            if (!Base64.getEncoder().encodeToString(sha1).equals(accept)) {
                throw new ApiException(101, "the daemon answered the terminal upgrade with a wrong Sec-WebSocket-Accept (" + accept + ")");
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    private void onBytes(Buffer bytes) {
        try {
            for (WebSocketFrames.Message m : decoder.feed(bytes)) {
                switch (m.opcode()) {
                    case WebSocketFrames.OP_BINARY -> binaryHandler.handle(m.payload());
                    case WebSocketFrames.OP_TEXT -> textHandler.handle(m.payload().toString(StandardCharsets.UTF_8));
                    case WebSocketFrames.OP_PING -> socket.write(WebSocketFrames.encode(WebSocketFrames.OP_PONG, m.payload()));
                    case WebSocketFrames.OP_CLOSE -> {
                        // Echo the close (§5.5.1) and let the server end the connection.
                        socket.write(WebSocketFrames.encode(WebSocketFrames.OP_CLOSE, Buffer.buffer()));
                    }
                    default -> {
                        // PONG, or an opcode RFC 6455 reserves: nothing to do.
                    }
                }
            }
        } catch (IllegalStateException e) {
            exceptionHandler.handle(e);
            socket.close();
        }
    }

    void binaryMessageHandler(Handler<Buffer> h) { binaryHandler = h; }
    void textMessageHandler(Handler<String> h) { textHandler = h; }
    void exceptionHandler(Handler<Throwable> h) { exceptionHandler = h; }
    void closeHandler(Handler<Void> h) { closeHandler = h; }
    void pause() { context.runOnContext(v -> socket.pause()); }
    void resume() { context.runOnContext(v -> socket.resume()); }
    boolean isClosed() { return closed; }

    // Writes come from the stdin thread and the signal thread: each is handed to the connection's event loop.
    // Back-pressure is the caller's, through writeQueueFull().
    void writeBinaryMessage(Buffer data) {
        Buffer frame = WebSocketFrames.encode(WebSocketFrames.OP_BINARY, data);
        context.runOnContext(v -> socket.write(frame));
    }

    void writeTextMessage(String text) {
        Buffer frame = WebSocketFrames.encode(WebSocketFrames.OP_TEXT, Buffer.buffer(text, "UTF-8"));
        context.runOnContext(v -> socket.write(frame));
    }

    boolean writeQueueFull() {
        return socket.writeQueueFull();
    }

    /** A normal close (1000), then the connection ends. */
    void close() {
        if (!closed) {
            Buffer frame = WebSocketFrames.encode(WebSocketFrames.OP_CLOSE, Buffer.buffer().appendUnsignedShort(1000));
            context.runOnContext(v -> {
                socket.write(frame);
                socket.end();
            });
        }
    }
}
