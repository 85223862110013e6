package dev.paddock.runtime.virtio.vsock;

/** A host-initiated vsock stream could not be opened; the message names the port and the reason. */
public final class VsockConnectException extends Exception {
    public VsockConnectException(String message) {
        super(message);
    }
}
