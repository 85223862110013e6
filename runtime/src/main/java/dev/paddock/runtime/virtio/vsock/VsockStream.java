package dev.paddock.runtime.virtio.vsock;

import java.nio.ByteBuffer;

/**
 * One connected vsock stream as the host side sees it. Every method is thread-safe and never blocks: the
 * device does the work on its event loop.
 *
 * <p>Flow control, both ways:
 * <ul>
 *   <li>host → guest: {@link #write} queues bytes in a bounded per-stream buffer that drains as the guest
 *       grants credit; when it returns {@code false} the host stops writing until {@link VsockPeer#onWritable}.
 *       A slow guest therefore slows the host;</li>
 *   <li>guest → host: the device counts bytes as forwarded (the credit it returns to the guest, {@code fwd_cnt})
 *       only when the host calls {@link #consumed}. A slow host reader therefore slows the guest.</li>
 * </ul>
 */
public interface VsockStream {

    /** The guest's context ID. */
    long guestCid();

    /** The port on the guest's side of the stream. */
    int guestPort();

    /** The port on the host's side of the stream (CID 2). */
    int hostPort();

    /**
     * Queues {@code bytes} (position to limit) for the guest; the device takes ownership of the buffer.
     * Returns {@code true} while the stream's send buffer is below its high-water mark, {@code false} once it is
     * at or above it (the bytes are still queued). Writing after {@link #shutdownOutput} or after the stream
     * closed throws {@link IllegalStateException}.
     */
    boolean write(ByteBuffer bytes);

    /** The host has passed on {@code bytes} more of the data it got through {@link VsockPeer#onData}. */
    void consumed(int bytes);

    /** The host will send no more (VIRTIO_VSOCK_SHUTDOWN_SEND once the queued bytes have gone). */
    void shutdownOutput();

    /** Aborts the stream at once with a RST; queued bytes are dropped. */
    void reset();
}
