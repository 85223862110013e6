package dev.paddock.runtime.arch.x86;

import dev.paddock.hypervisor.x86.LapicState;

/**
 * The local APIC's LINT pins as a PC wires them: LINT0 takes the 8259's INTR as ExtINT, LINT1 takes NMI
 * ("virtual wire" mode, MP spec §3.6.2.2). Offsets and delivery modes: arch/x86/include/asm/apicdef.h
 * (APIC_LVT0 0x350, APIC_LVT1 0x360, APIC_MODE_NMI 0x4, APIC_MODE_EXTINT 0x7, delivery mode in bits 8–10).
 */
public final class LocalApic {
    public static final int DELIVERY_MODE_SHIFT = 8;
    public static final int DELIVERY_MODE_MASK = 0x7 << DELIVERY_MODE_SHIFT;
    public static final int MODE_NMI = 0x4;
    public static final int MODE_EXTINT = 0x7;

    private LocalApic() {}

    /** {@code lapic} with LINT0 = ExtINT and LINT1 = NMI; every other bit (mask, trigger, vector) as it was. */
    public static LapicState withVirtualWire(LapicState lapic) {
        return lapic
                .withRegister(LapicState.LVT_LINT0, deliveryMode(lapic.register(LapicState.LVT_LINT0), MODE_EXTINT))
                .withRegister(LapicState.LVT_LINT1, deliveryMode(lapic.register(LapicState.LVT_LINT1), MODE_NMI));
    }

    static int deliveryMode(int lvt, int mode) {
        return (lvt & ~DELIVERY_MODE_MASK) | (mode << DELIVERY_MODE_SHIFT);
    }
}
