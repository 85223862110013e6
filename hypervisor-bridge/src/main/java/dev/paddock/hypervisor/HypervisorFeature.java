package dev.paddock.hypervisor;

/** Backend-neutral features the runtime asks a {@link Hypervisor} about. */
public enum HypervisorFeature {
    /** An interrupt controller emulated in the hypervisor (PIC/IOAPIC/LAPIC on x86). */
    IN_KERNEL_IRQCHIP,
    /** Interrupt injection by writing an eventfd, with no ioctl per interrupt. */
    IRQFD,
    /** Guest writes to a chosen address signal an eventfd without an exit to the VMM. */
    IOEVENTFD,
    /** A vCPU can be kicked out of its run loop without a race. */
    VCPU_KICK,
    /** Pages the guest wrote can be listed (live snapshots). */
    DIRTY_LOG,
    /** The full vCPU state can be saved and restored (snapshots). */
    VCPU_STATE
}
