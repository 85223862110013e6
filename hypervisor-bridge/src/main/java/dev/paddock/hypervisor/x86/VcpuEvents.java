package dev.paddock.hypervisor.x86;

/** Pending exceptions, interrupts, NMIs and SMIs of a vCPU (KVM: struct kvm_vcpu_events, 64 bytes). */
public final class VcpuEvents extends OpaqueState {
    public static final int SIZE = 64;
    private static final int EXCEPTION_INJECTED = 0;
    private static final int EXCEPTION_NR = 1;
    private static final int INTERRUPT_INJECTED = 8;
    private static final int INTERRUPT_NR = 9;
    private static final int NMI_PENDING = 13;
    private static final int FLAGS = 20;

    public VcpuEvents(byte[] bytes) {
        super(bytes, SIZE);
    }

    public boolean exceptionInjected() {
        return view().get(EXCEPTION_INJECTED) != 0;
    }

    public int exceptionVector() {
        return view().get(EXCEPTION_NR) & 0xFF;
    }

    public boolean interruptInjected() {
        return view().get(INTERRUPT_INJECTED) != 0;
    }

    public int interruptVector() {
        return view().get(INTERRUPT_NR) & 0xFF;
    }

    public boolean nmiPending() {
        return view().get(NMI_PENDING) != 0;
    }

    /** KVM_VCPUEVENT_VALID_* bits saying which fields KVM_SET_VCPU_EVENTS should apply. */
    public int flags() {
        return view().getInt(FLAGS);
    }
}
