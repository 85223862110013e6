package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;

/**
 * A one-shot timerfd(2) on CLOCK_MONOTONIC, read like an {@link EventFd}: {@link #read()} returns the number of
 * expirations since the last read and resets it. {@link #arm(long)} (re)starts it; arming never blocks or wakes
 * anyone, so a vCPU thread can schedule work for the device loop without switching to it.
 */
public final class TimerFd implements AutoCloseable {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private final int fd;
    private volatile boolean closed;

    private TimerFd(int fd) {
        this.fd = fd;
    }

    /** A close-on-exec, non-blocking, disarmed timer. */
    public static TimerFd create() {
        try {
            return new TimerFd(LibC.timerfd_create(LibC.CLOCK_MONOTONIC, LibC.TFD_CLOEXEC | LibC.TFD_NONBLOCK));
        } catch (LastErrorException e) {
            throw Sys.failure("timerfd_create", e);
        }
    }

    public int fd() {
        return fd;
    }

    /** Fires once, {@code delayNanos} (at least 1) from now, replacing any earlier arming. */
    public void arm(long delayNanos) {
        if (delayNanos < 1) {
            throw new IllegalArgumentException("a timer delay must be at least 1 ns (0 would disarm it), got " + delayNanos);
        }
        long[] spec = new long[LibC.ITIMERSPEC_LONGS];
        spec[2] = delayNanos / NANOS_PER_SECOND;
        spec[3] = delayNanos % NANOS_PER_SECOND;
        try {
            LibC.timerfd_settime(fd, 0, spec, null);
        } catch (LastErrorException e) {
            throw Sys.failure("timerfd_settime(" + fd + ")", e);
        }
    }

    /** Expirations since the last read (0 when none: the fd is non-blocking). */
    public long read() {
        return Sys.readCounter(fd, "timerfd " + fd);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Sys.close(fd, "timerfd " + fd);
        }
    }

    @Override
    public String toString() {
        return "TimerFd[" + fd + "]";
    }
}
