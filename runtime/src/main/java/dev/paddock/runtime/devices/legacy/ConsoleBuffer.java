package dev.paddock.runtime.devices.legacy;

import java.util.Objects;

/**
 * The hand-off between a UART (on a vCPU thread, which must never block) and the {@link ConsoleListener} (on the
 * device event loop): a bounded ring of bytes. {@link #append} never waits; when the ring is full the byte is
 * dropped and counted, because a guest must not stall on a host that stopped reading its console.
 *
 * <p>Waking the consumer is what costs: each wake is a thread switch, and a guest writes its console one byte
 * per port exit. Waking it on the first byte into an empty ring (as this class first did) meant, on a busy
 * host, one switch per byte, because the consumer drained each byte before the next came; under the emulated
 * accelerator that made the kernel's boot log flush 2.6 times slower than QEMU's. So a byte wakes the consumer
 * ({@code wakeup}, an eventfd signal) only when it ends a line or fills the ring to half; the first byte into
 * an empty ring instead calls {@code armFlush}, which starts a short timer that wakes the consumer for a
 * partial line (a prompt, an echoed keystroke) without switching to it now.
 */
public final class ConsoleBuffer {
    /** 64 KiB holds a full boot log burst of a Debian cloud kernel several times over. */
    public static final int DEFAULT_CAPACITY = 64 * 1024;
    /** How long a partial line may wait for its wake-up: short for a person, long against byte-by-byte output. */
    public static final long FLUSH_DELAY_NANOS = 2_000_000;

    private final byte[] ring;
    private final Runnable wakeup;
    private final Runnable armFlush;
    private final int highWater;
    private int head;
    private int size;
    private long dropped;

    /**
     * @param wakeup   signals the consumer now (a line ended, or the ring is half full)
     * @param armFlush makes the consumer run within {@link #FLUSH_DELAY_NANOS}, without waking it now
     */
    public ConsoleBuffer(int capacity, Runnable wakeup, Runnable armFlush) {
        if (capacity < 1) {
            throw new IllegalArgumentException("console buffer capacity must be positive, got " + capacity);
        }
        this.ring = new byte[capacity];
        this.wakeup = Objects.requireNonNull(wakeup, "wakeup");
        this.armFlush = Objects.requireNonNull(armFlush, "armFlush");
        this.highWater = Math.max(1, capacity / 2);
    }

    /** Adds one byte; drops it (and counts the drop) when the ring is full. Never blocks. */
    public void append(byte b) {
        boolean wake;
        boolean arm;
        synchronized (this) {
            if (size == ring.length) {
                dropped++;
                return;
            }
            ring[(head + size) % ring.length] = b;
            size++;
            wake = b == '\n' || size == highWater;
            arm = !wake && size == 1;
        }
        if (wake) {
            wakeup.run();
        } else if (arm) {
            armFlush.run();
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
