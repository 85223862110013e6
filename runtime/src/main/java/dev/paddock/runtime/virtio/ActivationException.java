package dev.paddock.runtime.virtio;

/** A device cannot go live with what the driver set up (e.g. a required queue is not ready). */
public final class ActivationException extends Exception {
    private static final long serialVersionUID = 1L;

    public ActivationException(String message) {
        super(message);
    }
}
