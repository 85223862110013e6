package dev.paddock.hypervisor.x86;

/** The local APIC register page (KVM: struct kvm_lapic_state, 1 KiB at the APIC's register offsets). */
public final class LapicState extends OpaqueState {
    public static final int SIZE = 1024;
    /** Register offsets from the Intel SDM's local APIC register map. */
    public static final int APIC_ID = 0x20;
    public static final int SPURIOUS_VECTOR = 0xF0;
    public static final int LVT_LINT0 = 0x350;
    public static final int LVT_LINT1 = 0x360;
    public static final int TASK_PRIORITY = 0x80;
    /** In-service and interrupt-request registers: 256 bits each, in eight 32-bit words 16 bytes apart. */
    public static final int ISR = 0x100;
    public static final int IRR = 0x200;
    public static final int LVT_TIMER = 0x320;
    public static final int TIMER_INITIAL_COUNT = 0x380;
    public static final int TIMER_CURRENT_COUNT = 0x390;
    public static final int TIMER_DIVIDE = 0x3E0;

    public LapicState(byte[] bytes) {
        super(bytes, SIZE);
    }

    /** The 32-bit register at {@code offset} (16-byte aligned, below 0x400). */
    public int register(int offset) {
        checkOffset(offset);
        return view().getInt(offset);
    }

    public LapicState withRegister(int offset, int value) {
        checkOffset(offset);
        return new LapicState(patched(offset, 4, value));
    }

    private static void checkOffset(int offset) {
        if (offset < 0 || offset >= SIZE || (offset & 0xF) != 0) {
            throw new IllegalArgumentException("APIC register offset 0x%x is not 16-byte aligned below 0x400"
                    .formatted(offset));
        }
    }
}
