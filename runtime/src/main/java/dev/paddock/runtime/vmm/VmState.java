package dev.paddock.runtime.vmm;

/** Where a {@link MicroVm} is in its life. Moves only forward, except PAUSED ⇄ RUNNING. */
public enum VmState {
    /** Built: memory, devices and vCPUs exist, no vCPU thread runs yet. */
    CREATED,
    RUNNING,
    /** Every vCPU thread is parked outside KVM_RUN; devices keep serving in-flight work. */
    PAUSED,
    /** A stop was requested; vCPU threads are leaving. */
    STOPPING,
    /** Every thread, fd and mapping of the VM is released. */
    STOPPED
}
