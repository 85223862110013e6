package dev.paddock.runtime.virtio.queue;

/**
 * The split virtqueue's memory format, virtio 1.2 §2.7 and include/uapi/linux/virtio_ring.h.
 *
 * <pre>
 * struct virtq_desc  { le64 addr; le32 len; le16 flags; le16 next; };              16 bytes, table aligned 16
 * struct virtq_avail { le16 flags; le16 idx; le16 ring[N]; le16 used_event; };      6 + 2N bytes, aligned 2
 * struct virtq_used  { le16 flags; le16 idx; struct { le32 id; le32 len; } ring[N];
 *                      le16 avail_event; };                                       6 + 8N bytes, aligned 4
 * </pre>
 */
public final class SplitRing {
    private SplitRing() {
    }

    /** The largest queue size a split ring can have (virtio 1.2 §2.7: "Queue Size ... maximum 32768"). */
    public static final int MAX_QUEUE_SIZE = 32768;

    public static final int DESCRIPTOR_SIZE = 16;
    public static final int DESCRIPTOR_TABLE_ALIGNMENT = 16;
    public static final int AVAILABLE_RING_ALIGNMENT = 2;
    public static final int USED_RING_ALIGNMENT = 4;

    /** VRING_DESC_F_NEXT: the buffer continues via the next field. */
    public static final int DESC_F_NEXT = 1;
    /** VRING_DESC_F_WRITE: the buffer is device-writable (otherwise device-readable). */
    public static final int DESC_F_WRITE = 2;
    /** VRING_DESC_F_INDIRECT: the buffer holds a table of descriptors (needs VIRTIO_F_INDIRECT_DESC). */
    public static final int DESC_F_INDIRECT = 4;

    /** VRING_AVAIL_F_NO_INTERRUPT: the driver asks not to be interrupted for used buffers (without EVENT_IDX). */
    public static final int AVAIL_F_NO_INTERRUPT = 1;

    static final int AVAIL_FLAGS = 0;
    static final int AVAIL_IDX = 2;
    static final int AVAIL_RING = 4;
    static final int USED_FLAGS = 0;
    static final int USED_IDX = 2;
    static final int USED_RING = 4;
    static final int USED_ELEMENT_SIZE = 8;

    public static long descriptorTableBytes(int size) {
        return (long) DESCRIPTOR_SIZE * size;
    }

    public static long availableRingBytes(int size) {
        return 6L + 2L * size;
    }

    public static long usedRingBytes(int size) {
        return 6L + (long) USED_ELEMENT_SIZE * size;
    }
}
