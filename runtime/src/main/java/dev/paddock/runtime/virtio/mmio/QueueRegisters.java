package dev.paddock.runtime.virtio.mmio;

import dev.paddock.runtime.virtio.queue.QueueLayout;

/**
 * One queue's configuration registers as the driver writes them before DRIVER_OK. Raw, unchecked values;
 * {@code VirtQueue.activate} validates them. Guarded by the owning transport's lock.
 */
final class QueueRegisters {
    final int maxSize;
    int size;
    boolean ready;
    long descriptorTable;
    long availableRing;
    long usedRing;

    QueueRegisters(int maxSize) {
        this.maxSize = maxSize;
        clear();
    }

    /** Reset values. QueueNum starts at QueueNumMax, so a driver that never writes it gets the largest queue. */
    void clear() {
        size = maxSize;
        ready = false;
        descriptorTable = 0;
        availableRing = 0;
        usedRing = 0;
    }

    QueueLayout layout() {
        return new QueueLayout(size, descriptorTable, availableRing, usedRing);
    }

    static long withLow(long value, int low) {
        return (value & 0xFFFF_FFFF_0000_0000L) | (low & 0xFFFF_FFFFL);
    }

    static long withHigh(long value, int high) {
        return (value & 0xFFFF_FFFFL) | ((long) high << 32);
    }
}
