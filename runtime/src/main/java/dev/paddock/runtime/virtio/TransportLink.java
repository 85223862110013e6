package dev.paddock.runtime.virtio;

/**
 * The signals an active device sends back through its transport. One link belongs to one activation: after
 * the driver resets the device, every call on the old link does nothing, so late completions cannot
 * disturb the next activation.
 *
 * <p>Safe from any thread. Callers must not hold a lock that {@link VirtioDevice#reset()} takes.
 */
public interface TransportLink {

    /** Sets the used-buffer interrupt reason and raises the device's interrupt. */
    void signalUsedBuffer();

    /** Bumps the config generation, sets the config-change interrupt reason and raises the interrupt. */
    void signalConfigChange();

    /**
     * Puts the device into NEEDS_RESET and sends the config-change interrupt (virtio 1.2 §2.1.2): for
     * errors that break the device, such as a broken ring. {@code reason} names what went wrong.
     */
    void enterNeedsReset(String reason);
}
