package dev.paddock.runtime.virtio.vsock;

import java.nio.ByteBuffer;

/**
 * The host-side end of one stream: what the device tells the host. Called only from the device event loop,
 * one call at a time per stream; each call must return at once.
 */
public interface VsockPeer {

    /**
     * Bytes the guest sent, position to limit. {@code data} is a read-only view of the device's payload buffer,
     * which it reuses for the next packet: it is valid only during this call, so the peer copies what it keeps
     * before returning (never keeps {@code data} itself). It calls {@link VsockStream#consumed} with their count
     * once it has passed them on; until then they count against the guest's credit.
     */
    void onData(ByteBuffer data);

    /** The guest will send no more (it shut down its sending side). Bytes already delivered stay valid. */
    void onGuestShutdownSend();

    /** The send buffer fell below its low-water mark after {@link VsockStream#write} returned {@code false}. */
    void onWritable();

    /**
     * The stream is gone: both sides shut down, a RST either way, the guest's driver reset, or the device went
     * away. Called exactly once, last. {@code reason} is a short text for logs.
     */
    void onClosed(String reason);
}
