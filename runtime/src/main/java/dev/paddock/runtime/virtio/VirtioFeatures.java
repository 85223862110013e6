package dev.paddock.runtime.virtio;

/**
 * Device-independent feature bits (virtio 1.2 §6), from include/uapi/linux/virtio_config.h and
 * virtio_ring.h. Bits 0–23 belong to the device type; these are the ring and transport bits.
 */
public final class VirtioFeatures {
    private VirtioFeatures() {
    }

    /** VIRTIO_RING_F_INDIRECT_DESC: descriptors may point at indirect tables. Offered by every transport here. */
    public static final int INDIRECT_DESC = 28;
    /** VIRTIO_RING_F_EVENT_IDX: used_event/avail_event suppression. Not offered (see VirtQueue). */
    public static final int EVENT_IDX = 29;
    /** VIRTIO_F_VERSION_1: modern (non-legacy) device. Always offered; Linux refuses a v2 MMIO device without it. */
    public static final int VERSION_1 = 32;
    /** VIRTIO_F_ACCESS_PLATFORM: an IOMMU translates addresses. Not offered. */
    public static final int ACCESS_PLATFORM = 33;
    /** VIRTIO_F_RING_PACKED: packed virtqueues. Not offered. */
    public static final int RING_PACKED = 34;
    /** VIRTIO_F_RING_RESET: per-queue reset. Not offered. */
    public static final int RING_RESET = 40;

    public static long bit(int feature) {
        return 1L << feature;
    }

    public static boolean has(long features, int feature) {
        return (features & bit(feature)) != 0;
    }
}
