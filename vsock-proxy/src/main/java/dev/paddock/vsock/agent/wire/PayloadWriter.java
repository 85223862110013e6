package dev.paddock.vsock.agent.wire;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** Appends payload fields in PROTOCOL.md §1's encodings (little-endian; {@code str} = u32 length + bytes). */
public final class PayloadWriter {
    private final Buffer out = Buffer.buffer();

    public PayloadWriter u8(int v) {
        out.appendUnsignedByte((short) v);
        return this;
    }

    public PayloadWriter u16(int v) {
        out.appendUnsignedShortLE(v);
        return this;
    }

    public PayloadWriter u32(long v) {
        out.appendUnsignedIntLE(v);
        return this;
    }

    public PayloadWriter bytes(byte[] b) {
        out.appendBytes(b);
        return this;
    }

    public PayloadWriter str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.appendUnsignedIntLE(b.length);
        out.appendBytes(b);
        return this;
    }

    public Buffer buffer() {
        return out;
    }
}
