package dev.paddock.cli.tty;

import io.vertx.core.buffer.Buffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The client side of RFC 6455's framing (§5.2), for the terminal WebSocket over the daemon's unix socket: Vert.x
 * 5.0.7's WebSocketClient connects only to host:port (it ignores RequestOptions.server), so the CLI upgrades an
 * ordinary HTTP request itself and frames the bytes here. Client frames are masked (§5.3); server frames must not
 * be. Fragmented messages (§5.4) are joined; control frames may come between fragments.
 */
final class WebSocketFrames {
    static final int OP_CONTINUATION = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_BINARY = 0x2;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;

    /** The daemon sends terminal output in small frames; a 16 MiB message is a broken peer. */
    static final long MAX_MESSAGE = 16 << 20;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A whole message (or control frame) from the server. */
    record Message(int opcode, Buffer payload) {}

    private WebSocketFrames() {
    }

    /** One final, masked client frame. */
    static Buffer encode(int opcode, Buffer payload) {
        int len = payload.length();
        Buffer out = Buffer.buffer(len + 14);
        out.appendByte((byte) (0x80 | opcode));
        if (len < 126) {
            out.appendByte((byte) (0x80 | len));
        } else if (len <= 0xFFFF) {
            out.appendByte((byte) (0x80 | 126)).appendUnsignedShort(len);
        } else {
            out.appendByte((byte) (0x80 | 127)).appendLong(len);
        }
        byte[] mask = new byte[4];
        RANDOM.nextBytes(mask);
        out.appendBytes(mask);
        byte[] data = payload.getBytes();
        for (int i = 0; i < data.length; i++) {
            data[i] ^= mask[i & 3];
        }
        return out.appendBytes(data);
    }

    /** Incremental decoder of server frames: feed bytes as they arrive, get the completed messages. */
    static final class Decoder {
        private Buffer pending = Buffer.buffer();
        private int messageOpcode = -1;
        private Buffer message;

        List<Message> feed(Buffer bytes) {
            pending.appendBuffer(bytes);
            List<Message> out = new ArrayList<>();
            while (true) {
                if (pending.length() < 2) {
                    break;
                }
                int b0 = pending.getUnsignedByte(0);
                int b1 = pending.getUnsignedByte(1);
                if ((b1 & 0x80) != 0) {
                    throw new IllegalStateException("the daemon sent a masked WebSocket frame (RFC 6455 §5.1 forbids it)");
                }
                int header = 2;
                long len = b1 & 0x7F;
                if (len == 126) {
                    if (pending.length() < 4) break;
                    len = pending.getUnsignedShort(2);
                    header = 4;
                } else if (len == 127) {
                    if (pending.length() < 10) break;
                    len = pending.getLong(2);
                    header = 10;
                }
                if (len < 0 || len > MAX_MESSAGE) {
                    throw new IllegalStateException("the daemon sent a WebSocket frame of " + len + " bytes (limit " + MAX_MESSAGE + ")");
                }
                if (pending.length() < header + len) {
                    break;
                }
                Buffer payload = pending.getBuffer(header, header + (int) len);
                pending = pending.getBuffer(header + (int) len, pending.length());
                boolean fin = (b0 & 0x80) != 0;
                int opcode = b0 & 0x0F;
                if (opcode >= OP_CLOSE) {
                    out.add(new Message(opcode, payload));
                    continue;
                }
                if (opcode != OP_CONTINUATION) {
                    messageOpcode = opcode;
                    message = Buffer.buffer();
                } else if (message == null) {
                    throw new IllegalStateException("the daemon sent a WebSocket continuation frame with no message to continue");
                }
                message.appendBuffer(payload);
                if (message.length() > MAX_MESSAGE) {
                    throw new IllegalStateException("the daemon sent a WebSocket message over " + MAX_MESSAGE + " bytes");
                }
                if (fin) {
                    out.add(new Message(messageOpcode, message));
                    message = null;
                    messageOpcode = -1;
                }
            }
            return out;
        }
    }
}
