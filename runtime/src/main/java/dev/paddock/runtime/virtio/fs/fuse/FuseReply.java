package dev.paddock.runtime.virtio.fs.fuse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds one FUSE reply: a {@code fuse_out_header} and the op's output, little-endian. */
final class FuseReply {
    private final ByteBuffer buffer;

    FuseReply(int bodyCapacity) {
        buffer = ByteBuffer.allocate(FuseProtocol.OUT_HEADER_BYTES + bodyCapacity).order(ByteOrder.LITTLE_ENDIAN);
        buffer.position(FuseProtocol.OUT_HEADER_BYTES);
    }

    static FuseReply empty() {
        return new FuseReply(0);
    }

    FuseReply u16(int v) {
        buffer.putShort((short) v);
        return this;
    }

    FuseReply u32(int v) {
        buffer.putInt(v);
        return this;
    }

    FuseReply u64(long v) {
        buffer.putLong(v);
        return this;
    }

    FuseReply bytes(byte[] b, int offset, int length) {
        buffer.put(b, offset, length);
        return this;
    }

    FuseReply zeros(int n) {
        for (int i = 0; i < n; i++) {
            buffer.put((byte) 0);
        }
        return this;
    }

    int position() {
        return buffer.position() - FuseProtocol.OUT_HEADER_BYTES;
    }

    int room() {
        return buffer.remaining();
    }

    /** The finished reply: header {len, error 0, unique} and the body written so far. */
    byte[] finish(long unique) {
        int len = buffer.position();
        buffer.putInt(0, len).putInt(4, 0).putLong(8, unique);
        byte[] out = new byte[len];
        buffer.get(0, out);
        return out;
    }

    /** A reply carrying only {@code -errno}. */
    static byte[] error(long unique, int errno) {
        ByteBuffer b = ByteBuffer.allocate(FuseProtocol.OUT_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(FuseProtocol.OUT_HEADER_BYTES).putInt(-errno).putLong(unique);
        return b.array();
    }
}
