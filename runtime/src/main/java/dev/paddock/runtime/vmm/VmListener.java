package dev.paddock.runtime.vmm;

/**
 * Lifecycle events of one VM. Console output has its own listener (attachSerial). Calls come from the thread
 * that caused the event (the caller of start/pause/resume, or the vCPU thread that saw the guest stop) and must
 * not block for long; {@link #stopped} comes exactly once, after everything the VM held is released.
 */
public interface VmListener {

    default void started() {
    }

    default void paused() {
    }

    default void resumed() {
    }

    default void stopped(VmStop stop) {
    }

    VmListener NONE = new VmListener() {
    };
}
