package dev.paddock.runtime.virtio;

/** The device status field's bits (virtio 1.2 §2.1), from include/uapi/linux/virtio_config.h. */
public final class DeviceStatus {
    private DeviceStatus() {
    }

    /** VIRTIO_CONFIG_S_ACKNOWLEDGE: the guest found the device. */
    public static final int ACKNOWLEDGE = 1;
    /** VIRTIO_CONFIG_S_DRIVER: the guest has a driver for it. */
    public static final int DRIVER = 2;
    /** VIRTIO_CONFIG_S_DRIVER_OK: the driver is ready; the device goes live. */
    public static final int DRIVER_OK = 4;
    /** VIRTIO_CONFIG_S_FEATURES_OK: feature negotiation is complete (the device may refuse it). */
    public static final int FEATURES_OK = 8;
    /** VIRTIO_CONFIG_S_NEEDS_RESET: the device hit an error it cannot recover from. Set by the device only. */
    public static final int NEEDS_RESET = 0x40;
    /** VIRTIO_CONFIG_S_FAILED: the driver gave up on the device. */
    public static final int FAILED = 0x80;
}
