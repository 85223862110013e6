package dev.paddock.runtime.virtio.queue;

/**
 * The driver broke the ring itself, not just one request: the available index ran more than a queue size
 * ahead, a head index is out of range, or a ring became unreadable. The queue stops serving requests; the
 * device should enter NEEDS_RESET (virtio 1.2 §2.1.2) and the driver must reset it.
 */
public final class BrokenQueueException extends Exception {
    private static final long serialVersionUID = 1L;

    public BrokenQueueException(String message) {
        super(message);
    }
}
