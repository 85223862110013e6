package dev.paddock.runtime.vmm;

/** Why a VM ended. */
public enum StopReason {
    /** The guest powered off (an ACPI sleep-control write for S5, or KVM_SYSTEM_EVENT_SHUTDOWN). */
    GUEST_POWEROFF,
    /** The guest asked for a reset (i8042 0xFE as with {@code reboot=k}, or KVM_SYSTEM_EVENT_RESET). */
    GUEST_RESET,
    /** A vCPU shut down (KVM_EXIT_SHUTDOWN): a triple fault, or a kernel's last-resort reboot through one. */
    TRIPLE_FAULT,
    /** The host stopped it ({@link MicroVm#stop()} or {@link MicroVm#close()}). */
    HOST_STOP,
    /** The host killed it ({@link MicroVm#kill()}): no grace for in-flight device work. */
    KILLED,
    /** The VMM could not go on: an exit it cannot handle, a failed ioctl, a device fault; the detail says which. */
    INTERNAL_ERROR;

    /** True for the guest's own orderly power-off, the one ending a boot command reports as success. */
    public boolean isCleanPowerOff() {
        return this == GUEST_POWEROFF;
    }
}
