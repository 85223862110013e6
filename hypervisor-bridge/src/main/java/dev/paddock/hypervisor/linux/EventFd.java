package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;
import dev.paddock.hypervisor.HypervisorException;

/**
 * An eventfd(2) counter: the wire between KVM and the VMM for irqfd (VMM → guest interrupt) and ioeventfd
 * (guest write → VMM wake-up). {@link #signal()} adds 1; {@link #read()} returns and resets the count.
 */
public final class EventFd implements AutoCloseable {
    private final int fd;
    private volatile boolean closed;

    private EventFd(int fd) {
        this.fd = fd;
    }

    /** A close-on-exec eventfd starting at 0; non-blocking reads return 0 instead of waiting. */
    public static EventFd create(boolean nonBlocking) {
        try {
            int flags = LibC.EFD_CLOEXEC | (nonBlocking ? LibC.EFD_NONBLOCK : 0);
            return new EventFd(LibC.eventfd(0, flags));
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

    public void add(long value) {
        try {
            LibC.write(fd, new long[] {value}, 8);
        } catch (LastErrorException e) {
            throw Sys.failure("write(eventfd " + fd + ")", e);
        }
    }

    /** Returns the counter and resets it to 0; 0 when non-blocking and nothing was signalled. */
    public long read() {
        return Sys.readCounter(fd, "eventfd " + fd);
    }

    @Override
    public void close() {
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
