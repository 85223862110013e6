package dev.paddock.hypervisor.x86;

/** A vCPU's multiprocessing state (KVM: struct kvm_mp_state, KVM_MP_STATE_* values). */
public record MpState(int value) {
    public static final MpState RUNNABLE = new MpState(0);
    public static final MpState UNINITIALIZED = new MpState(1);
    public static final MpState INIT_RECEIVED = new MpState(2);
    public static final MpState HALTED = new MpState(3);
    public static final MpState SIPI_RECEIVED = new MpState(4);
}
