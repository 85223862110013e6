package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import dev.paddock.hypervisor.HypervisorException;

/** Checked wrappers over {@link LibC}: each failure becomes a {@link HypervisorException} naming the call. */
final class Sys {
    private Sys() {
        throw new AssertionError("no instances");
    }

    static HypervisorException failure(String what, LastErrorException e) {
        int errno = e.getErrorCode();
        return new HypervisorException(what + " failed: " + Errno.describe(errno), errno, e);
    }

    static int ioctl(int fd, long request, long arg, String name) {
        try {
            return LibC.ioctl(fd, request, arg);
        } catch (LastErrorException e) {
            throw failure(name, e);
        }
    }

    static int ioctl(int fd, long request, Pointer arg, String name) {
        try {
            return LibC.ioctl(fd, request, arg);
        } catch (LastErrorException e) {
            throw failure(name, e);
        }
    }

    /** Closes {@code fd}; a close failure is reported, never swallowed. */
    /**
     * Reads the u64 counter of an eventfd or timerfd (and so resets it); 0 when the fd is non-blocking and has
     * nothing to report (EAGAIN).
     */
    static long readCounter(int fd, String what) {
        long[] buf = new long[1];
        try {
            LibC.read(fd, buf, 8);
            return buf[0];
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.EAGAIN) {
                return 0;
            }
            throw failure("read(" + what + ")", e);
        }
    }

    static void close(int fd, String what) {
        try {
            LibC.close(fd);
        } catch (LastErrorException e) {
            throw failure("close(" + what + ")", e);
        }
    }
}
