package dev.paddock.runtime.virtio.mmio;

/**
 * Register offsets of the virtio-mmio transport, version 2 (virtio 1.2 §4.2.2), as named in
 * include/uapi/linux/virtio_mmio.h. All registers are 32-bit little-endian; device configuration starts
 * at {@link #CONFIG}.
 */
public final class MmioRegisters {
    private MmioRegisters() {
    }

    public static final int MAGIC_VALUE = 0x000;
    public static final int VERSION = 0x004;
    public static final int DEVICE_ID = 0x008;
    public static final int VENDOR_ID = 0x00C;
    public static final int DEVICE_FEATURES = 0x010;
    public static final int DEVICE_FEATURES_SEL = 0x014;
    public static final int DRIVER_FEATURES = 0x020;
    public static final int DRIVER_FEATURES_SEL = 0x024;
    public static final int QUEUE_SEL = 0x030;
    public static final int QUEUE_NUM_MAX = 0x034;
    public static final int QUEUE_NUM = 0x038;
    public static final int QUEUE_READY = 0x044;
    /** The register the VMM backs with an ioeventfd (datamatch = queue index). */
    public static final int QUEUE_NOTIFY = 0x050;
    public static final int INTERRUPT_STATUS = 0x060;
    public static final int INTERRUPT_ACK = 0x064;
    public static final int STATUS = 0x070;
    public static final int QUEUE_DESC_LOW = 0x080;
    public static final int QUEUE_DESC_HIGH = 0x084;
    public static final int QUEUE_AVAIL_LOW = 0x090;
    public static final int QUEUE_AVAIL_HIGH = 0x094;
    public static final int QUEUE_USED_LOW = 0x0A0;
    public static final int QUEUE_USED_HIGH = 0x0A4;
    public static final int SHM_SEL = 0x0AC;
    public static final int SHM_LEN_LOW = 0x0B0;
    public static final int SHM_LEN_HIGH = 0x0B4;
    public static final int SHM_BASE_LOW = 0x0B8;
    public static final int SHM_BASE_HIGH = 0x0BC;
    public static final int QUEUE_RESET = 0x0C0;
    public static final int CONFIG_GENERATION = 0x0FC;
    public static final int CONFIG = 0x100;

    /** "virt" in little-endian ASCII. */
    public static final int MAGIC = 0x74726976;
    /** The modern (non-legacy) virtio-mmio layout. */
    public static final int VERSION_2 = 2;
    /** Our vendor ID: "PDCK" in little-endian ASCII. Linux matches drivers on device ID only. */
    public static final int PADDOCK_VENDOR_ID = 0x4B434450;

    /** VIRTIO_MMIO_INT_VRING: a queue has new used buffers. */
    public static final int INTERRUPT_USED_BUFFER = 1;
    /** VIRTIO_MMIO_INT_CONFIG: the configuration (or NEEDS_RESET) changed. */
    public static final int INTERRUPT_CONFIG_CHANGE = 2;

    /**
     * What SHMLenLow and SHMLenHigh read for a region that does not exist: Linux's vm_get_shm_region
     * (drivers/virtio/virtio_mmio.c) combines both halves and treats a length of ~0 as "no such region".
     */
    public static final int NO_SHARED_MEMORY_REGION = 0xFFFF_FFFF;
}
