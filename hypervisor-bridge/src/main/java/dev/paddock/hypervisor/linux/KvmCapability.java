package dev.paddock.hypervisor.linux;

/**
 * The KVM capabilities Paddock asks about, with their {@code KVM_CAP_*} numbers from {@code <linux/kvm.h>}
 * and, for the error message when one is missing, what Paddock needs it for.
 */
public enum KvmCapability {
    IRQCHIP(0, "the in-kernel PIC/IOAPIC/LAPIC that delivers device interrupts"),
    HLT(1, "halting a vCPU in the kernel"),
    USER_MEMORY(3, "mapping guest RAM from this process (KVM_SET_USER_MEMORY_REGION)"),
    SET_TSS_ADDR(4, "the real-mode TSS page Intel VMX needs (KVM_SET_TSS_ADDR)"),
    EXT_CPUID(7, "reading the CPUID the host supports (KVM_GET_SUPPORTED_CPUID)"),
    MP_STATE(14, "saving and restoring a vCPU's run state (snapshots)"),
    IRQ_ROUTING(25, "routing GSIs to the IOAPIC and MSIs"),
    IRQFD(32, "device interrupts through eventfds (KVM_IRQFD)"),
    PIT2(33, "the in-kernel i8254 timer (KVM_CREATE_PIT2)"),
    IOEVENTFD(36, "virtio queue notifications without an exit to userspace (KVM_IOEVENTFD)"),
    ADJUST_CLOCK(39, "saving and restoring the guest clock (KVM_GET_CLOCK/KVM_SET_CLOCK)"),
    VCPU_EVENTS(41, "saving pending exceptions and interrupts (snapshots)"),
    XSAVE(55, "saving the extended FPU state (snapshots)"),
    XCRS(56, "saving XCR0 (snapshots)"),
    KVMCLOCK_CTRL(76, "telling the guest its clock was paused"),
    SIGNAL_MSI(77, "injecting MSIs"),
    IMMEDIATE_EXIT(136, "kicking a vCPU out of KVM_RUN without a race (kvm_run.immediate_exit)");

    private final int number;
    private final String neededFor;

    KvmCapability(int number, String neededFor) {
        this.number = number;
        this.neededFor = neededFor;
    }

    /** The {@code KVM_CAP_*} number passed to {@code KVM_CHECK_EXTENSION}. */
    public int number() {
        return number;
    }

    /** The C name, e.g. {@code KVM_CAP_IRQFD}. */
    public String cName() {
        return "KVM_CAP_" + name();
    }

    /** What Paddock uses the capability for, in words. */
    public String neededFor() {
        return neededFor;
    }
}
