package dev.paddock.vsock.agent.wire;

import dev.paddock.vsock.agent.AgentProtocolException;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads one payload's fields in order (PROTOCOL.md §1 "Payload encodings"). Every read checks the bytes are
 * there, and {@link #end()} checks none are left over: a payload must be consumed exactly.
 */
public final class PayloadReader {
    private final String what;
    private final Buffer payload;
    private int pos;

    public PayloadReader(String what, Buffer payload) {
        this.what = what;
        this.payload = payload;
    }

    public int u8() {
        need(1);
        return payload.getUnsignedByte(pos++);
    }

    public int u16() {
        need(2);
        int v = payload.getUnsignedShortLE(pos);
        pos += 2;
        return v;
    }

    public long u32() {
        need(4);
        long v = payload.getUnsignedIntLE(pos);
        pos += 4;
        return v;
    }

    public long u64() {
        need(8);
        long v = payload.getLongLE(pos);
        pos += 8;
        return v;
    }

    public Buffer bytes(int n) {
        need(n);
        Buffer b = payload.getBuffer(pos, pos + n);
        pos += n;
        return b;
    }

    /** A {@code str}: u32 length then that many bytes, at most {@code maxBytes}. */
    public String str(String field, int maxBytes) {
        long len = u32();
        // GUEST-CONTROLLED: a string length is bounded before it is read.
        if (len > maxBytes) {
            throw new AgentProtocolException(what + " field " + field + " is " + len + " bytes; at most " + maxBytes);
        }
        return bytes((int) len).toString(StandardCharsets.UTF_8);
    }

    /** The rest of the payload as UTF-8 text. */
    public String rest() {
        String s = payload.getString(pos, payload.length(), "UTF-8");
        pos = payload.length();
        return s;
    }

    public void end() {
        if (pos != payload.length()) {
            throw new AgentProtocolException(what + " payload has " + (payload.length() - pos)
                    + " trailing bytes after " + pos + " (PROTOCOL.md §1: a payload is consumed exactly)");
        }
    }

    private void need(int n) {
        if (payload.length() - pos < n) {
            throw new AgentProtocolException(what + " payload is truncated: needs " + n + " more bytes at offset "
                    + pos + " of " + payload.length() + " (PROTOCOL.md §1)");
        }
    }
}
