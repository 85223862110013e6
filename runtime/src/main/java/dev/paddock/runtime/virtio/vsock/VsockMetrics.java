package dev.paddock.runtime.virtio.vsock;

import java.util.concurrent.atomic.AtomicLong;

/** What a vsock device counts, readable from any thread (diagnostics, tests, the hostile-guest suite). */
public final class VsockMetrics {
    final AtomicLong txPackets = new AtomicLong();
    final AtomicLong rxPackets = new AtomicLong();
    final AtomicLong malformedPackets = new AtomicLong();
    final AtomicLong misaddressedPackets = new AtomicLong();
    final AtomicLong resetsSent = new AtomicLong();
    final AtomicLong droppedResets = new AtomicLong();
    final AtomicLong refusedByBackend = new AtomicLong();
    final AtomicLong refusedByLimit = new AtomicLong();
    final AtomicLong creditOverruns = new AtomicLong();
    final AtomicLong protocolViolations = new AtomicLong();
    final AtomicLong unusableRxBuffers = new AtomicLong();
    final AtomicLong bytesToGuest = new AtomicLong();
    final AtomicLong bytesFromGuest = new AtomicLong();

    /** Packets taken from the TX queue. */
    public long txPackets() {
        return txPackets.get();
    }

    /** Packets written into RX buffers. */
    public long rxPackets() {
        return rxPackets.get();
    }

    /** TX chains too short for a header, or RW packets whose len exceeds the chain or the 64 KiB maximum. */
    public long malformedPackets() {
        return malformedPackets.get();
    }

    /** TX packets dropped because dst_cid was not the host or src_cid not the guest's CID. */
    public long misaddressedPackets() {
        return misaddressedPackets.get();
    }

    /** RST packets queued for the guest. */
    public long resetsSent() {
        return resetsSent.get();
    }

    /** RST replies dropped because the guest let too many pile up without giving RX buffers. */
    public long droppedResets() {
        return droppedResets.get();
    }

    /** Guest REQUESTs the backend refused (nothing registered on the port). */
    public long refusedByBackend() {
        return refusedByBackend.get();
    }

    /** Guest REQUESTs and host connects refused because the VM had its maximum of streams. */
    public long refusedByLimit() {
        return refusedByLimit.get();
    }

    /** Streams reset because the guest sent more than the credit it was given. */
    public long creditOverruns() {
        return creditOverruns.get();
    }

    /** Streams reset because the guest sent an op that has no meaning in the stream's state. */
    public long protocolViolations() {
        return protocolViolations.get();
    }

    /** RX chains returned unused because they could not hold a header. */
    public long unusableRxBuffers() {
        return unusableRxBuffers.get();
    }

    public long bytesToGuest() {
        return bytesToGuest.get();
    }

    public long bytesFromGuest() {
        return bytesFromGuest.get();
    }
}
