package dev.paddock.runtime.virtio.vsock;

import java.util.concurrent.CompletableFuture;

/** Host-initiated streams into the guest: implemented by the vsock device. */
public interface VsockConnector {

    /**
     * Opens a stream to {@code guestPort} in the guest. The future completes with the stream once the guest
     * answered with a RESPONSE, and fails with {@link VsockConnectException} on a RST (nothing listens there),
     * when the device is not active, when too many streams are open, or after a timeout. {@code peer} receives
     * the stream's events once it is connected. Any thread; never blocks.
     */
    CompletableFuture<VsockStream> connect(int guestPort, VsockPeer peer);
}
