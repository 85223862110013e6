package dev.paddock.runtime.virtio.queue;

import java.util.List;

/**
 * A validated request popped from a {@link VirtQueue}: the head index to return in the used ring, and the
 * chain's buffers split by direction (virtio 1.2 §2.7.4: all device-readable descriptors come before all
 * device-writable ones). Zero-length descriptors are dropped.
 *
 * @param head          the descriptor index the driver put in the available ring; {@link VirtQueue#addUsed}
 *                      takes it back
 * @param readable      buffers the device reads (driver to device), in chain order
 * @param writable      buffers the device writes (device to driver), in chain order
 */
public record DescriptorChain(int head, List<GuestBuffer> readable, List<GuestBuffer> writable) {
    public DescriptorChain {
        readable = List.copyOf(readable);
        writable = List.copyOf(writable);
    }

    /** Sum of the readable buffers' lengths (at most queue size × (2^32 − 1), so it fits a long). */
    public long readableBytes() {
        return total(readable);
    }

    /** Sum of the writable buffers' lengths. */
    public long writableBytes() {
        return total(writable);
    }

    private static long total(List<GuestBuffer> buffers) {
        long sum = 0;
        for (GuestBuffer b : buffers) {
            sum += b.length();
        }
        return sum;
    }
}
