package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * An epoll(7) instance for the device loop: waits on ioeventfds and other fds, each registered with a
 * 64-bit token. One thread calls {@link #await(int)} and then reads the ready set with {@link #token(int)}
 * and {@link #events(int)}; registration may happen from other threads.
 *
 * <p>{@code struct epoll_event} is packed on x86_64 ({@code __EPOLL_PACKED}): u32 events @0, u64 data @4,
 * 12 bytes.
 */
public final class Epoll implements AutoCloseable {
    public static final int IN = LibC.EPOLLIN;
    public static final int ERR = LibC.EPOLLERR;
    public static final int HUP = LibC.EPOLLHUP;

    private static final int EVENT_SIZE = 12;
    private static final int EVENTS = 0;
    private static final int DATA = 4;

    private final int fd;
    private final int maxEvents;
    private final Memory ready;
    private volatile boolean closed;

    private Epoll(int fd, int maxEvents) {
        this.fd = fd;
        this.maxEvents = maxEvents;
        this.ready = new Memory((long) EVENT_SIZE * maxEvents);
    }

    /** A close-on-exec epoll that reports up to {@code maxEvents} ready fds per {@link #await(int)}. */
    public static Epoll create(int maxEvents) {
        if (maxEvents < 1) {
            throw new IllegalArgumentException("maxEvents must be positive, got " + maxEvents);
        }
        try {
            return new Epoll(LibC.epoll_create1(LibC.EPOLL_CLOEXEC), maxEvents);
        } catch (LastErrorException e) {
            throw Sys.failure("epoll_create1", e);
        }
    }

    /** Watches {@code watched} for {@code events} (e.g. {@link #IN}), reporting {@code token} when ready. */
    public void add(int watched, int events, long token) {
        ctl(LibC.EPOLL_CTL_ADD, watched, events, token, "EPOLL_CTL_ADD");
    }

    public void modify(int watched, int events, long token) {
        ctl(LibC.EPOLL_CTL_MOD, watched, events, token, "EPOLL_CTL_MOD");
    }

    public void remove(int watched) {
        ctl(LibC.EPOLL_CTL_DEL, watched, 0, 0, "EPOLL_CTL_DEL");
    }

    private void ctl(int op, int watched, int events, long token, String name) {
        try (Memory ev = new Memory(EVENT_SIZE)) {
            ev.setInt(EVENTS, events);
            ev.setLong(DATA, token);
            LibC.epoll_ctl(fd, op, watched, ev);
        } catch (LastErrorException e) {
            throw Sys.failure("epoll_ctl(" + name + ", fd " + watched + ")", e);
        }
    }

    /**
     * Waits up to {@code timeoutMillis} (−1: forever) and returns how many fds are ready; 0 on timeout or
     * when a signal interrupted the wait.
     */
    public int await(int timeoutMillis) {
        try {
            return LibC.epoll_wait(fd, ready, maxEvents, timeoutMillis);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.EINTR) {
                return 0;
            }
            throw Sys.failure("epoll_wait", e);
        }
    }

    /** The token of the {@code i}-th ready fd from the last {@link #await(int)}. */
    public long token(int i) {
        return ready.getLong(index(i) + DATA);
    }

    /** The ready events (EPOLLIN, …) of the {@code i}-th ready fd. */
    public int events(int i) {
        return ready.getInt(index(i) + EVENTS);
    }

    private long index(int i) {
        if (i < 0 || i >= maxEvents) {
            throw new IndexOutOfBoundsException("ready index " + i + " outside 0.." + (maxEvents - 1));
        }
        return (long) i * EVENT_SIZE;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            ready.close();
            Sys.close(fd, "epoll " + fd);
        }
    }
}
