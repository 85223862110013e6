package dev.paddock.runtime.virtio.vsock;

/**
 * The port through which a virtio-vsock device hands streams to the host side. {@code runtime} defines it;
 * {@code vsock-proxy} implements it on Vert.x (dependency inversion: the device never sees Vert.x).
 *
 * <p>Threading: the device calls the backend, and every {@link VsockPeer} it was given, from its device event
 * loop. Those calls must return at once: hand the work to another thread (a Vert.x context), never block.
 */
public interface VsockBackend {

    /**
     * The guest opened a stream to the host (CID 2) on {@code stream.hostPort()}. Return the peer that takes
     * the stream, or {@code null} to refuse it: the device then answers the guest with a RST, and the guest's
     * {@code connect()} fails with ECONNRESET. Only ports the host registered may be accepted.
     */
    VsockPeer guestConnect(VsockStream stream);

    /** A backend that refuses every guest-initiated stream. */
    VsockBackend REFUSE_ALL = stream -> null;
}
