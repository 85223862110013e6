package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;
import dev.paddock.hypervisor.HypervisorException;

/**
 * An eventfd(2) counter: the wire between KVM and the VMM for irqfd (VMM → guest interrupt) and ioeventfd
 * (guest write → VMM wake-up). {@link #signal()} adds 1; {@link #read()} returns and resets the count.
 */
public final class EventFd implements AutoCloseable {
    private final int fd;
    private final boolean nonBlocking;
    private volatile boolean closed;

    private EventFd(int fd, boolean nonBlocking) {
        this.fd = fd;
        this.nonBlocking = nonBlocking;
    }

    /** A close-on-exec eventfd starting at 0; non-blocking reads return 0 instead of waiting. */
    public static EventFd create(boolean nonBlocking) {
        try {
            int flags = LibC.EFD_CLOEXEC | (nonBlocking ? LibC.EFD_NONBLOCK : 0);
            return new EventFd(LibC.eventfd(0, flags), nonBlocking);
        } catch (LastErrorException e) {
            throw Sys.failure("eventfd", e);
        }
    }

    public static EventFd create() {
        return create(true);
    }

    /** The file descriptor, for KVM_IRQFD/KVM_IOEVENTFD and {@link Epoll}. */
    public int fd() {
        return fd;
    }

    /** Adds 1 to the counter, waking any reader (or injecting the interrupt of an irqfd). */
    public void signal() {
        add(1);
    }

    /**
     * Adds {@code value}. Fails on a closed eventfd: its number may already name another file, which a write
     * must never reach. Serialised with {@link #close} for that reason (uncontended in practice: one writer).
     */
    public synchronized void add(long value) {
        checkOpen();
        try {
            LibC.write(fd, new long[] {value}, 8);
        } catch (LastErrorException e) {
            throw Sys.failure("write(eventfd " + fd + ")", e);
        }
    }

    /**
     * Returns the counter and resets it to 0; 0 when non-blocking and nothing was signalled. Fails on a closed
     * eventfd, as {@link #add} does. A blocking read is not serialised with {@link #close} (it could wait for ever
     * holding the lock), so close such an eventfd only once its reader has stopped.
     */
    public long read() {
        if (nonBlocking) {
            synchronized (this) {
                checkOpen();
                return Sys.readCounter(fd, "eventfd " + fd);
            }
        }
        checkOpen();
        return Sys.readCounter(fd, "eventfd " + fd);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            Sys.close(fd, "eventfd " + fd);
        }
    }

    void checkOpen() {
        if (closed) {
            throw new HypervisorException("eventfd " + fd + " is closed");
        }
    }

    @Override
    public String toString() {
        return "EventFd[" + fd + "]";
    }
}
