package dev.paddock.runtime.virtio;

/**
 * A virtio device's own logic, apart from any transport (virtio 1.2 §2 and §5). The transport
 * ({@code dev.paddock.runtime.virtio.mmio.MmioTransport}) owns the registers, status state machine,
 * feature negotiation, queue configuration and interrupt status; the device sees only what it needs.
 *
 * <p>Threading contract:
 * <ul>
 *   <li>{@link #readConfig}, {@link #writeConfig}, {@link #activate} and {@link #reset} come from a vCPU
 *       thread under the transport's lock, and must not block;</li>
 *   <li>{@link #processQueue} comes from the device event loop, one call at a time, and must not block
 *       on I/O (blocking work goes to a worker pool);</li>
 *   <li>{@code reset} may race with {@code processQueue} and with worker completions: the transport retires
 *       the old queues first, so they stop touching guest memory, and the device drops its active state.</li>
 * </ul>
 * A device never lets an exception caused by the guest escape: a bad request is failed, a broken ring
 * puts the device into NEEDS_RESET through {@link TransportLink#enterNeedsReset}.
 */
public interface VirtioDevice {

    /** The device ID, one of {@link DeviceType}. */
    int deviceType();

    /**
     * Device-type feature bits this device offers (bits 0–23). The transport adds VERSION_1 and
     * INDIRECT_DESC.
     */
    long deviceFeatures();

    /** The largest size the driver may give each queue (QueueNumMax); the list's length is the queue count. */
    int[] queueMaxSizes();

    /**
     * Reads device configuration space at {@code offset} (from 0x100 of the MMIO window) into {@code data}
     * (1, 2 or 4 bytes, little-endian). Bytes past the end of the config read as zero.
     */
    void readConfig(int offset, byte[] data);

    /** Writes device configuration space; read-only fields and bytes past the end are ignored. */
    void writeConfig(int offset, byte[] data);

    /** Goes live with the driver's setup (DRIVER_OK). On failure the transport sets NEEDS_RESET. */
    void activate(DeviceActivation activation) throws ActivationException;

    /** Returns to the inactive state (driver reset). The queues are already retired. */
    void reset();

    /** The driver notified queue {@code index}: serve what it made available. */
    void processQueue(int index);

    /** The current lifecycle state. */
    DeviceState state();
}
