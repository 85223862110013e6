package dev.paddock.runtime.virtio.vsock;

import static dev.paddock.runtime.virtio.vsock.VsockConstants.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * struct virtio_vsock_hdr (virtio 1.2 §5.10.6, include/uapi/linux/virtio_vsock.h): 44 bytes, packed,
 * little-endian. Ports, len, flags, buf_alloc and fwd_cnt are unsigned 32-bit values carried in ints; type and
 * op are unsigned 16-bit values in ints.
 */
record VsockHeader(long srcCid, long dstCid, int srcPort, int dstPort, int len, int type, int op, int flags,
                   int bufAlloc, int fwdCnt) {

    /** Decodes the first {@link VsockConstants#HEADER_BYTES} bytes of {@code bytes}. */
    static VsockHeader decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        return new VsockHeader(b.getLong(HDR_SRC_CID), b.getLong(HDR_DST_CID), b.getInt(HDR_SRC_PORT),
                b.getInt(HDR_DST_PORT), b.getInt(HDR_LEN), b.getShort(HDR_TYPE) & 0xFFFF, b.getShort(HDR_OP) & 0xFFFF,
                b.getInt(HDR_FLAGS), b.getInt(HDR_BUF_ALLOC), b.getInt(HDR_FWD_CNT));
    }

    /** Encodes into {@code bytes[0..44)}. */
    void encode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(HDR_SRC_CID, srcCid).putLong(HDR_DST_CID, dstCid).putInt(HDR_SRC_PORT, srcPort)
                .putInt(HDR_DST_PORT, dstPort).putInt(HDR_LEN, len).putShort(HDR_TYPE, (short) type)
                .putShort(HDR_OP, (short) op).putInt(HDR_FLAGS, flags).putInt(HDR_BUF_ALLOC, bufAlloc)
                .putInt(HDR_FWD_CNT, fwdCnt);
    }

    /** The payload length as the unsigned value the guest wrote. */
    long payloadLength() {
        return len & 0xFFFF_FFFFL;
    }

    /** A RST answering this packet (source and destination swapped, no payload, no credit information). */
    VsockHeader resetReply() {
        return new VsockHeader(dstCid, srcCid, dstPort, srcPort, 0, type, OP_RST, 0, 0, 0);
    }

    @Override
    public String toString() {
        return "%s %d:%s -> %d:%s len %s type %d flags 0x%x buf_alloc %s fwd_cnt %s".formatted(opName(op), srcCid,
                Integer.toUnsignedString(srcPort), dstCid, Integer.toUnsignedString(dstPort),
                Integer.toUnsignedString(len), type, flags, Integer.toUnsignedString(bufAlloc),
                Integer.toUnsignedString(fwdCnt));
    }
}
