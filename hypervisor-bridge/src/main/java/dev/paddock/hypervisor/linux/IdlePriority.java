package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;

/**
 * Puts the calling thread in Linux's {@code SCHED_IDLE} class (sched(7)): it then runs only when no other thread
 * wants the CPU, so background work such as faulting in spare guest RAM never takes time from a booting guest's
 * vCPUs or from the control plane.
 */
public final class IdlePriority {
    private IdlePriority() {
    }

    /**
     * Lowers the calling thread. Returns false, changing nothing, where the kernel refuses (a seccomp profile, a
     * non-Linux libc): the work then runs at the thread's normal priority, which is slower for others, not wrong.
     */
    public static boolean applyToCurrentThread() {
        try {
            LibC.sched_setscheduler(0, LibC.SCHED_IDLE, new int[] {0});
            return true;
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return false;
        }
    }
}
