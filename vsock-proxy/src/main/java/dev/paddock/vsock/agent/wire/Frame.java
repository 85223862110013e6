package dev.paddock.vsock.agent.wire;

import io.vertx.core.buffer.Buffer;

/**
 * One frame of PROTOCOL.md §1: a 12-byte little-endian header ({@code length:u32 stream:u32 op:u8 chan:u8
 * flags:u8 reserved:u8}) and {@code length} payload bytes. {@code stream} is an unsigned 32-bit id held in a long.
 */
public record Frame(long stream, int op, int chan, int flags, Buffer payload) {
    public static final int HEADER_BYTES = 12;
    /** {@code MAX_PAYLOAD} (§1, §10): fixed at 65536 in protocol 1.x. */
    public static final int MAX_PAYLOAD = 65536;

    public Frame {
        if (stream < 0 || stream > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("stream id " + stream + " is not a u32");
        }
        if (payload.length() > MAX_PAYLOAD) {
            throw new IllegalArgumentException(Op.name(op) + " payload of " + payload.length()
                    + " bytes exceeds MAX_PAYLOAD " + MAX_PAYLOAD);
        }
    }

    public static Frame of(long stream, int op, Buffer payload) {
        return new Frame(stream, op, 0, 0, payload);
    }

    public static Frame empty(long stream, int op) {
        return new Frame(stream, op, 0, 0, Buffer.buffer(0));
    }

    @Override
    public String toString() {
        return Op.name(op) + " stream " + stream + (Op.hasChannel(op) ? " chan " + chan : "")
                + (flags != 0 ? " flags " + flags : "") + " (" + payload.length() + " bytes)";
    }
}
