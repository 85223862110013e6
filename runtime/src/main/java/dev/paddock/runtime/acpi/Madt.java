package dev.paddock.runtime.acpi;

import dev.paddock.runtime.arch.x86.Layout;
import java.nio.ByteBuffer;

/**
 * The Multiple APIC Description Table, revision 6 (ACPI 6.5 §5.2.12): the local APIC address, flags,
 * then one Processor Local APIC structure per vCPU and one I/O APIC structure.
 *
 * <ul>
 * <li>Processor Local APIC (§5.2.12.2, type 0, 8 bytes): ACPI Processor UID = APIC ID = vCPU index,
 *     flags Enabled (bit 0). The vCPU setup writes the same APIC ID into CPUID leaf 1/0xB.</li>
 * <li>I/O APIC (§5.2.12.3, type 1, 12 bytes): ID 0 at {@link Layout#IOAPIC_ADDRESS}, GSI base 0: KVM's
 *     in-kernel IOAPIC with pins 0–23.</li>
 * <li>Flags = 0, PCAT_COMPAT clear: we do not ask the OS to mask or use a dual 8259. KVM does create
 *     an in-kernel PIC alongside the IOAPIC, and Linux boots as well with the bit set, but on a
 *     hardware-reduced platform Linux installs its null legacy PIC regardless, and every line we
 *     describe (ISA IRQ 1 and 4, GSIs 5–23) is meant to go through the IOAPIC. Saying "no 8259" keeps
 *     the tables consistent with that.</li>
 * <li>No Interrupt Source Override. The only one a PC usually needs is IRQ0 → GSI 2 for the PIT (KVM's
 *     default routing sends the PIT to IOAPIC pin 2), but a hardware-reduced Linux never uses the PIT as
 *     a timer (its timer_init is skipped), so IRQ0 is never routed. ISA IRQs 1 and 4 are identity
 *     mapped to GSIs 1 and 4, which is the default without an override (§5.2.12.5).</li>
 * </ul>
 */
final class Madt {
    private Madt() {}

    static final String SIGNATURE = "APIC";
    static final int REVISION = 6;
    static final int FLAGS = 0;

    static final int TYPE_LOCAL_APIC = 0;
    static final int LOCAL_APIC_LENGTH = 8;
    static final int LOCAL_APIC_ENABLED = 1;
    static final int TYPE_IO_APIC = 1;
    static final int IO_APIC_LENGTH = 12;
    static final int IO_APIC_ID = 0;

    static byte[] build(int vcpuCount) {
        ByteBuffer body = SystemDescriptionTable.littleEndian(8 + vcpuCount * LOCAL_APIC_LENGTH + IO_APIC_LENGTH);
        body.putInt((int) Layout.LAPIC_ADDRESS);
        body.putInt(FLAGS);
        for (int cpu = 0; cpu < vcpuCount; cpu++) {
            body.put((byte) TYPE_LOCAL_APIC);
            body.put((byte) LOCAL_APIC_LENGTH);
            body.put((byte) cpu);
            body.put((byte) cpu);
            body.putInt(LOCAL_APIC_ENABLED);
        }
        body.put((byte) TYPE_IO_APIC);
        body.put((byte) IO_APIC_LENGTH);
        body.put((byte) IO_APIC_ID);
        body.put((byte) 0);
        body.putInt((int) Layout.IOAPIC_ADDRESS);
        body.putInt(0);
        return SystemDescriptionTable.build(SIGNATURE, REVISION, body.array());
    }
}
