package dev.paddock.runtime.virtio.rng;

/**
 * How a virtio-rng device is set up, apart from the device.
 *
 * @param queueSize          QueueNumMax of the request queue (a power of two)
 * @param maxBytesPerRequest the most random bytes one request gets, however large its buffers: Linux's
 *                           hw_random core asks for at most a page or so at a time, and a hostile guest
 *                           must not make one request cost unbounded host time
 */
public record RngDeviceConfig(int queueSize, int maxBytesPerRequest) {
    /** 256 entries; 64 KiB per request. */
    public static final RngDeviceConfig DEFAULT = new RngDeviceConfig(256, 64 * 1024);

    public RngDeviceConfig {
        if (queueSize < 1 || queueSize > 32768 || (queueSize & (queueSize - 1)) != 0) {
            throw new IllegalArgumentException("virtio-rng queue size %d is not a power of two in [1, 32768]".formatted(queueSize));
        }
        if (maxBytesPerRequest < 1) {
            throw new IllegalArgumentException("virtio-rng maxBytesPerRequest %d must be at least 1".formatted(maxBytesPerRequest));
        }
    }
}
