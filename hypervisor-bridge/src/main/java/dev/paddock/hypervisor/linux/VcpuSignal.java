package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import dev.paddock.hypervisor.HypervisorException;

/**
 * The real-time signal that kicks a vCPU thread out of {@code KVM_RUN}.
 *
 * <p>A blocked ioctl only returns {@code EINTR} for a signal that is <em>handled</em>: an ignored or
 * default-action signal would either do nothing or kill the process. So a handler is installed once per
 * process. It runs on the vCPU thread in signal context, where only async-signal-safe native code may run
 * (a JNA Java callback would need the JVM to attach the thread and allocate: not safe). The handler is
 * therefore libc's own {@code getpid}: async-signal-safe by POSIX, without side effects, and it ignores the
 * signal-number argument. Its only job is to exist, so that the signal interrupts {@code KVM_RUN}.
 * No {@code SA_RESTART}: the point is for the ioctl to return.
 */
final class VcpuSignal {
    /** glibc x86_64 {@code struct sigaction}: sa_handler @0, sa_mask (128 bytes) @8, sa_flags @136, sa_restorer @144. */
    private static final int SIZEOF_SIGACTION = 152;
    private static final int SA_HANDLER = 0;
    private static final int SA_FLAGS = 136;

    private static volatile int signal;

    private VcpuSignal() {
        throw new AssertionError("no instances");
    }

    /** SIGRTMIN as glibc numbers it, with its handler installed (once). */
    static int number() {
        int s = signal;
        if (s == 0) {
            synchronized (VcpuSignal.class) {
                s = signal;
                if (s == 0) {
                    s = install();
                    signal = s;
                }
            }
        }
        return s;
    }

    private static int install() {
        int sig = LibC.__libc_current_sigrtmin();
        try (Memory act = new Memory(SIZEOF_SIGACTION)) {
            act.clear(); // empty sa_mask, sa_flags 0 (no SA_RESTART, no SA_SIGINFO)
            act.setPointer(SA_HANDLER, NativeLibrary.getInstance("c").getFunction("getpid"));
            act.setInt(SA_FLAGS, 0);
            LibC.sigaction(sig, act, null);
        } catch (LastErrorException e) {
            throw Sys.failure("sigaction(SIGRTMIN " + sig + ") for the vCPU kick", e);
        }
        return sig;
    }

    static void send(long pthread) {
        int rc = LibC.pthread_kill(pthread, number());
        if (rc != 0) { // pthread_kill returns the error number instead of setting errno
            throw new HypervisorException("pthread_kill(vCPU thread, SIGRTMIN) failed: " + Errno.describe(rc), rc);
        }
    }
}
