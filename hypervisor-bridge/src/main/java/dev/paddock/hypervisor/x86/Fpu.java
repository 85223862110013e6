package dev.paddock.hypervisor.x86;

/** The x87/SSE state of a vCPU (KVM: struct kvm_fpu, 416 bytes). */
public final class Fpu extends OpaqueState {
    public static final int SIZE = 416;
    private static final int FCW = 128;
    private static final int MXCSR = 408;

    public Fpu(byte[] bytes) {
        super(bytes, SIZE);
    }

    /** The x86 reset state's control words: FCW 0x37F (all exceptions masked), MXCSR 0x1F80. */
    public static Fpu resetState() {
        return new Fpu(new byte[SIZE]).withFcw(0x37F).withMxcsr(0x1F80);
    }

    public int fcw() {
        return view().getShort(FCW) & 0xFFFF;
    }

    public int mxcsr() {
        return view().getInt(MXCSR);
    }

    public Fpu withFcw(int fcw) {
        return new Fpu(patched(FCW, 2, fcw));
    }

    public Fpu withMxcsr(int mxcsr) {
        return new Fpu(patched(MXCSR, 4, mxcsr));
    }
}
