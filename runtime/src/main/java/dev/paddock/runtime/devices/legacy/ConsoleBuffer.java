package dev.paddock.runtime.devices.legacy;

import java.util.Objects;

/**
 * The hand-off between a UART (on a vCPU thread, which must never block) and the {@link ConsoleListener} (on the
 * device event loop): a bounded ring of bytes. {@link #append} never waits; when the ring is full the byte is
 * dropped and counted, because a guest must not stall on a host that stopped reading its console. The first
 * byte into an empty ring calls {@code wakeup} (an eventfd signal), so a burst costs one wake-up, not one per byte.
 */
public final class ConsoleBuffer {
    /** 64 KiB holds a full boot log burst of a Debian cloud kernel several times over. */
    public static final int DEFAULT_CAPACITY = 64 * 1024;

    private final byte[] ring;
    private final Runnable wakeup;
    private int head;
    private int size;
    private long dropped;

    public ConsoleBuffer(int capacity, Runnable wakeup) {
        if (capacity < 1) {
            throw new IllegalArgumentException("console buffer capacity must be positive, got " + capacity);
        }
        this.ring = new byte[capacity];
        this.wakeup = Objects.requireNonNull(wakeup, "wakeup");
    }

    /** Adds one byte; drops it (and counts the drop) when the ring is full. Never blocks. */
    public void append(byte b) {
        boolean wasEmpty;
        synchronized (this) {
            if (size == ring.length) {
                dropped++;
                return;
            }
            ring[(head + size) % ring.length] = b;
            wasEmpty = size == 0;
            size++;
        }
        if (wasEmpty) {
            wakeup.run();
        }
    }

    /** Takes everything buffered (possibly nothing). */
    public synchronized byte[] drain() {
        byte[] out = new byte[size];
        int first = Math.min(size, ring.length - head);
        System.arraycopy(ring, head, out, 0, first);
        System.arraycopy(ring, 0, out, first, size - first);
        head = 0;
        size = 0;
        return out;
    }

    /** Bytes dropped because the ring was full. */
    public synchronized long dropped() {
        return dropped;
    }
}
