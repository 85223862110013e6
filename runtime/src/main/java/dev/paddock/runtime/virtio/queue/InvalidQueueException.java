package dev.paddock.runtime.virtio.queue;

/**
 * A queue's driver-set configuration (size, ring addresses) cannot be used: the message names the field,
 * its value and the rule it breaks. Raised at activation (DRIVER_OK); the transport answers with
 * NEEDS_RESET.
 */
public final class InvalidQueueException extends Exception {
    private static final long serialVersionUID = 1L;

    public InvalidQueueException(String message) {
        super(message);
    }
}
