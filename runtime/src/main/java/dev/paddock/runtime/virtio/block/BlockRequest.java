package dev.paddock.runtime.virtio.block;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.virtio.queue.BufferCursor;
import dev.paddock.runtime.virtio.queue.DescriptorChain;
import dev.paddock.runtime.virtio.queue.GuestBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One virtio-blk request as framed in a descriptor chain (virtio 1.2 §5.2.6): a 16-byte header
 * {@code {le32 type, le32 ioprio, le64 sector}} at the start of the readable bytes, the data, and a
 * one-byte status at the very end of the writable bytes. The header and data may be split across
 * descriptors anywhere.
 *
 * @param head          the chain's head, to return in the used ring
 * @param type          VIRTIO_BLK_T_*
 * @param sector        first 512-byte sector
 * @param data          the data buffers: readable after the header for OUT, writable before the status
 *                      byte for IN and GET_ID, none otherwise
 * @param dataBytes     their total length
 * @param statusAddress guest-physical address of the status byte
 */
record BlockRequest(int head, int type, long sector, List<GuestBuffer> data, long dataBytes, long statusAddress) {

    /**
     * Reads the framing of {@code chain}, or returns {@code null} when it has no room for a header or a
     * status byte (then no status can be reported and the request is returned with length 0).
     */
    static BlockRequest parse(GuestMemory memory, DescriptorChain chain) {
        // GUEST-CONTROLLED: the chain must carry a whole header and a status byte.
        if (chain.readableBytes() < BlockConstants.REQUEST_HEADER_BYTES || chain.writableBytes() < 1) {
            return null;
        }
        byte[] header = new byte[BlockConstants.REQUEST_HEADER_BYTES];
        new BufferCursor(memory, chain.readable()).read(header, 0, header.length);
        int type = littleEndianInt(header, 0);
        long sector = (long) littleEndianInt(header, 8) & 0xFFFF_FFFFL | (long) littleEndianInt(header, 12) << 32;

        List<GuestBuffer> writable = chain.writable();
        GuestBuffer last = writable.get(writable.size() - 1);
        long statusAddress = last.address() + last.length() - 1;

        List<GuestBuffer> data = switch (type) {
            case BlockConstants.T_OUT -> range(chain.readable(), BlockConstants.REQUEST_HEADER_BYTES,
                    chain.readableBytes() - BlockConstants.REQUEST_HEADER_BYTES);
            case BlockConstants.T_IN, BlockConstants.T_GET_ID -> range(writable, 0, chain.writableBytes() - 1);
            default -> List.of();
        };
        long dataBytes = 0;
        for (GuestBuffer b : data) {
            dataBytes += b.length();
        }
        return new BlockRequest(chain.head(), type, sector, data, dataBytes, statusAddress);
    }

    /** The sub-ranges of {@code buffers} covering stream bytes [skip, skip + length). */
    static List<GuestBuffer> range(List<GuestBuffer> buffers, long skip, long length) {
        List<GuestBuffer> out = new ArrayList<>(buffers.size());
        long position = 0;
        long end = skip + length;
        for (GuestBuffer b : buffers) {
            long from = Math.max(skip, position);
            long to = Math.min(end, position + b.length());
            if (from < to) {
                out.add(new GuestBuffer(b.address() + (from - position), to - from));
            }
            position += b.length();
        }
        return out;
    }

    private static int littleEndianInt(byte[] b, int at) {
        return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24;
    }
}
