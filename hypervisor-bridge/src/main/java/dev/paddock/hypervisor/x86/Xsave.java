package dev.paddock.hypervisor.x86;

/** The XSAVE area of a vCPU (KVM: struct kvm_xsave, 4 KiB; layout per the host's CPUID leaf 0xD). */
public final class Xsave extends OpaqueState {
    public static final int SIZE = 4096;

    public Xsave(byte[] bytes) {
        super(bytes, SIZE);
    }
}
