package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/**
 * {@code IRQNoFlags(){n}} and {@code IRQ(Edge|Level, ActiveHigh|ActiveLow, Exclusive|Shared){n}}: the IRQ
 * Descriptor (ACPI 6.5 §6.4.2.1), a small descriptor of type 0x04 holding a 16-bit mask of ISA IRQs 0–15.
 * Without flags it is two bytes long (tag 0x22) and means edge-triggered, active-high, exclusive; with
 * flags it is three (tag 0x23), the information byte holding bit 0 _HE (1 edge), bit 3 _LL (1 active-low),
 * bit 4 _SHR (1 shared).
 */
public record Irq(int irq, boolean withFlags, boolean edge, boolean activeLow, boolean shared) implements ResourceDescriptor {

    static final int TAG_NO_FLAGS = 0x22;
    static final int TAG_WITH_FLAGS = 0x23;

    public Irq {
        if (irq < 0 || irq > 15) {
            throw new IllegalArgumentException("ISA IRQ %d must be 0 to 15 for an IRQ descriptor; use ExtendedInterrupt for a GSI (ACPI §6.4.2.1)".formatted(irq));
        }
    }

    /** {@code IRQNoFlags(){irq}}: edge-triggered, active-high, exclusive. */
    public static Irq noFlags(int irq) {
        return new Irq(irq, false, true, false, false);
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        out.write(withFlags ? TAG_WITH_FLAGS : TAG_NO_FLAGS);
        AmlInteger.writeLittleEndian(out, 1L << irq, 2);
        if (withFlags) {
            out.write((edge ? 0x01 : 0) | (activeLow ? 0x08 : 0) | (shared ? 0x10 : 0));
        }
    }
}
