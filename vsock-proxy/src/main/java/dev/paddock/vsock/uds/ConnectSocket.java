package dev.paddock.vsock.uds;

import dev.paddock.vsock.mux.VsockMuxer;
import dev.paddock.vsock.mux.VsockSocket;
import dev.paddock.vsock.splice.HostSocket;
import dev.paddock.vsock.splice.Splice;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;

/**
 * The Firecracker-compatible vsock socket of one sandbox (e.g. {@code <state>/vsock.sock}): a host client
 * connects, writes {@code CONNECT <port>\n}, reads {@code OK <hostPort>\n} (the host-side port of the new vsock
 * stream) and from then on has a raw byte stream to that guest port, half-close included.
 *
 * <p>Firecracker closes the connection without a word when the line is bad or nothing listens on the port; this
 * socket first writes one line {@code ERROR <reason>\n}, which a Firecracker client reads as "not OK" all the
 * same. Guest-initiated connections do not come here: they reach only the handlers registered with the
 * {@link VsockMuxer} (Firecracker would connect to {@code <path>_<port>} instead).
 */
public final class ConnectSocket {
    /** A client that has not sent its CONNECT line by then is dropped. */
    static final long HANDSHAKE_TIMEOUT_MS = 10_000;
    /** After an ERROR line, how long the client may take to close before we do. */
    static final long LINGER_AFTER_ERROR_MS = 2_000;

    private final HostUnixSocket server;

    private ConnectSocket(HostUnixSocket server) {
        this.server = server;
    }

    /** Listens on {@code path} for host clients of {@code muxer}'s sandbox. */
    public static Future<ConnectSocket> listen(Vertx vertx, VsockMuxer muxer, Path path) {
        String what = "vsock socket of sandbox " + muxer.sandbox();
        return HostUnixSocket.listen(vertx, path, what, host -> new Connection(vertx, muxer, host).start())
                .map(ConnectSocket::new);
    }

    public Path path() {
        return server.path();
    }

    /** Stops accepting, closes the connections it accepted (their vsock streams are reset), removes the socket file. */
    public Future<Void> close() {
        return server.close();
    }

    /** One client: the handshake, then the splice. */
    private static final class Connection {
        private final Vertx vertx;
        private final VsockMuxer muxer;
        private final HostSocket host;
        private Buffer line = Buffer.buffer();
        private long timer;
        private boolean lineDone;

        Connection(Vertx vertx, VsockMuxer muxer, HostSocket host) {
            this.vertx = vertx;
            this.muxer = muxer;
            this.host = host;
        }

        void start() {
            timer = vertx.setTimer(HANDSHAKE_TIMEOUT_MS, id -> refuse("no CONNECT line within "
                    + HANDSHAKE_TIMEOUT_MS + " ms"));
            host.handler(this::onBytes);
            host.endHandler(v -> {
                if (!lineDone) {
                    vertx.cancelTimer(timer);
                    lineDone = true;
                    host.abort(); // closed before finishing its line: nobody to answer
                }
            });
            host.exceptionHandler(e -> host.abort());
            host.resume();
        }

        private void onBytes(Buffer bytes) {
            if (lineDone) {
                return; // after an ERROR: discard until the client closes
            }
            int newline = -1;
            for (int i = 0; i < bytes.length(); i++) {
                if (bytes.getByte(i) == '\n') {
                    newline = i;
                    break;
                }
            }
            int lineBytes = line.length() + (newline < 0 ? bytes.length() : newline + 1);
            if (lineBytes > ConnectHandshake.MAX_LINE_BYTES) {
                refuse("the CONNECT line is longer than " + ConnectHandshake.MAX_LINE_BYTES + " bytes");
                return;
            }
            if (newline < 0) {
                line.appendBuffer(bytes);
                return;
            }
            line.appendBuffer(bytes, 0, newline);
            Buffer rest = bytes.getBuffer(newline + 1, bytes.length());
            lineDone = true;
            vertx.cancelTimer(timer);
            host.pause();
            int port;
            try {
                port = ConnectHandshake.parse(line.getBytes());
            } catch (IllegalArgumentException e) {
                reply("ERROR " + e.getMessage());
                return;
            }
            muxer.connect(port).onComplete(ar -> {
                if (ar.failed()) {
                    reply("ERROR cannot connect to vsock port " + ConnectHandshake.portText(port) + ": "
                            + ar.cause().getMessage());
                    return;
                }
                VsockSocket guest = ar.result();
                host.write(Buffer.buffer("OK " + Integer.toUnsignedString(guest.hostPort()) + "\n"));
                if (rest.length() > 0) {
                    guest.write(rest); // bytes the client sent right after its line, before reading OK
                }
                host.handler(null);
                Splice.join(host, guest);
            });
        }

        private void refuse(String reason) {
            lineDone = true;
            vertx.cancelTimer(timer);
            reply("ERROR " + reason);
        }

        /** One line, then our write side closes; the socket closes when the client closes (or after a linger). */
        private void reply(String text) {
            String oneLine = text.replace('\n', ' ').replace('\r', ' ');
            host.handler(b -> { });
            host.endHandler(null);
            host.resume();
            host.writeAndEnd(Buffer.buffer(oneLine + "\n"));
            vertx.setTimer(LINGER_AFTER_ERROR_MS, id -> host.abort());
        }
    }
}
