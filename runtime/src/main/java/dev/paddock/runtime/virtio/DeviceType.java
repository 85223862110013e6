package dev.paddock.runtime.virtio;

/** Virtio device IDs, from include/uapi/linux/virtio_ids.h (virtio 1.2 §5). */
public final class DeviceType {
    private DeviceType() {
    }

    /** VIRTIO_ID_NET */
    public static final int NET = 1;
    /** VIRTIO_ID_BLOCK */
    public static final int BLOCK = 2;
    /** VIRTIO_ID_CONSOLE */
    public static final int CONSOLE = 3;
    /** VIRTIO_ID_RNG */
    public static final int RNG = 4;
    /** VIRTIO_ID_VSOCK */
    public static final int VSOCK = 19;
    /** VIRTIO_ID_FS */
    public static final int FS = 26;
}
