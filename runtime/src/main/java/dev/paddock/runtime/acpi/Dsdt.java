package dev.paddock.runtime.acpi;

import dev.paddock.runtime.acpi.aml.AmlInteger;
import dev.paddock.runtime.acpi.aml.AmlPackage;
import dev.paddock.runtime.acpi.aml.AmlString;
import dev.paddock.runtime.acpi.aml.AmlTerm;
import dev.paddock.runtime.acpi.aml.Device;
import dev.paddock.runtime.acpi.aml.EisaId;
import dev.paddock.runtime.acpi.aml.ExtendedInterrupt;
import dev.paddock.runtime.acpi.aml.IoPort;
import dev.paddock.runtime.acpi.aml.Irq;
import dev.paddock.runtime.acpi.aml.Memory32Fixed;
import dev.paddock.runtime.acpi.aml.Name;
import dev.paddock.runtime.acpi.aml.ResourceTemplate;
import dev.paddock.runtime.acpi.aml.Scope;
import dev.paddock.runtime.arch.x86.Layout;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The Differentiated System Description Table (ACPI 6.5 §5.2.11.1): a definition block whose AML puts
 * every device under {@code \_SB_}.
 *
 * <pre>
 * Scope (\_SB_) {
 *   Device (V000) {                       // one per virtio-mmio slot, n = 0, 1, …
 *     Name (_HID, "LNRO0005")             // Linux's virtio-mmio ACPI ID (drivers/virtio/virtio_mmio.c)
 *     Name (_UID, n)
 *     Name (_CCA, One)                    // DMA is cache-coherent (§6.2.17)
 *     Name (_CRS, ResourceTemplate () {
 *       Memory32Fixed (ReadWrite, base, size)
 *       Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) { gsi }
 *     })
 *   }
 *   Device (COM1) { _HID EISAID("PNP0501"), _UID 1, _CRS { IO (Decode16, 0x3F8, 0x3F8, 1, 8), IRQNoFlags () {4} } }
 *   Device (PS2K) { _HID EISAID("PNP0303"), _CRS { IO (…0x60…, 1), IO (…0x64…, 1), IRQNoFlags () {1} } }
 * }
 * Name (\_S5, Package () {5, 0, 0, 0})   // with powerControl: SLP_TYPa for soft-off (§7.4.2)
 * </pre>
 *
 * The virtio interrupts are edge-triggered because each device signals through a KVM irqfd, which
 * raises and lowers the line in one step (no resample fd): a level-triggered description would leave
 * the IOAPIC waiting for an EOI-driven line drop that never comes from the device.
 */
final class Dsdt {
    private Dsdt() {}

    static final String SIGNATURE = "DSDT";
    /** Revision 2 and up: integers are 64 bits (§5.2.11.1). */
    static final int REVISION = 2;
    static final String VIRTIO_MMIO_HID = "LNRO0005";
    static final String COM1_HID = "PNP0501";
    static final String PS2_KEYBOARD_HID = "PNP0303";
    static final int COM1_PORT_COUNT = 8;
    static final int I8042_KEYBOARD_IRQ = 1;

    static byte[] build(AcpiConfig config) {
        return SystemDescriptionTable.build(SIGNATURE, REVISION, aml(config));
    }

    /** The definition block's AML, without the table header. */
    static byte[] aml(AcpiConfig config) {
        List<AmlTerm> devices = new ArrayList<>();
        List<VirtioMmioSlot> slots = config.virtioDevices();
        for (int n = 0; n < slots.size(); n++) {
            devices.add(virtioMmio(n, slots.get(n)));
        }
        if (config.com1()) {
            devices.add(Device.of("COM1",
                    Name.of("_HID", EisaId.of(COM1_HID)),
                    Name.of("_UID", AmlInteger.ONE),
                    Name.of("_CRS", ResourceTemplate.of(IoPort.fixed(Layout.COM1_PORT, COM1_PORT_COUNT), Irq.noFlags(Layout.COM1_IRQ)))));
        }
        if (config.i8042()) {
            devices.add(Device.of("PS2K",
                    Name.of("_HID", EisaId.of(PS2_KEYBOARD_HID)),
                    Name.of("_CRS", ResourceTemplate.of(
                            IoPort.fixed(Layout.I8042_DATA_PORT, 1),
                            IoPort.fixed(Layout.I8042_COMMAND_PORT, 1),
                            Irq.noFlags(I8042_KEYBOARD_IRQ)))));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Scope.of("\\_SB_", devices).encodeTo(out);
        if (config.powerControl()) {
            // \_Sx packages: SLP_TYPa, SLP_TYPb, two reserved (§7.4.2); a hardware-reduced OS uses SLP_TYPa only.
            Name.of("\\_S5_", AmlPackage.of(AmlInteger.of(AcpiPowerControl.S5_SLEEP_TYPE), AmlInteger.ZERO, AmlInteger.ZERO, AmlInteger.ZERO))
                    .encodeTo(out);
        }
        return out.toByteArray();
    }

    /** {@code Vnnn}: a NameSeg is four characters, so slots 0..999; the 19 device GSIs never get near. */
    static String virtioDeviceName(int n) {
        return "V%03d".formatted(n);
    }

    private static Device virtioMmio(int n, VirtioMmioSlot slot) {
        return Device.of(virtioDeviceName(n),
                Name.of("_HID", AmlString.of(VIRTIO_MMIO_HID)),
                Name.of("_UID", AmlInteger.of(n)),
                Name.of("_CCA", AmlInteger.ONE),
                Name.of("_CRS", ResourceTemplate.of(
                        new Memory32Fixed(true, slot.base(), slot.size()),
                        ExtendedInterrupt.edgeActiveHigh(slot.gsi()))));
    }
}
