package dev.paddock.vsock.mux;

/** A vsock stream ended other than in order (RST, driver reset, device gone); the message says which stream and why. */
public final class VsockClosedException extends RuntimeException {
    public VsockClosedException(String message) {
        super(message);
    }
}
