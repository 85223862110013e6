package dev.paddock.runtime.acpi;

import dev.paddock.runtime.arch.x86.Layout;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * What the ACPI tables describe: the vCPUs, the virtio-mmio devices, and which legacy devices exist.
 *
 * @param vcpuCount      vCPUs 0..n-1, each with APIC ID = its index; at most 254 because xAPIC IDs are 8
 *                       bits and 0xFF is the broadcast ID (Intel SDM vol. 3 §10.6.2.1)
 * @param virtioDevices  the virtio-mmio slots, in device order; GSIs unique, windows disjoint
 * @param com1           describe the 8250 at 0x3F8, IRQ 4 ({@code PNP0501})
 * @param i8042          describe the PS/2 controller at 0x60/0x64, IRQ 1 ({@code PNP0303})
 * @param powerControl   describe {@link AcpiPowerControl}'s port as the FADT's sleep control, sleep status
 *                       and reset registers, with {@code \_S5}, so the guest can power off and reset
 *                       through ACPI; the VMM must then register an {@link AcpiPowerControl} at
 *                       {@link AcpiPowerControl#PORT} on the I/O bus
 */
public record AcpiConfig(int vcpuCount, List<VirtioMmioSlot> virtioDevices, boolean com1, boolean i8042, boolean powerControl) {

    public static final int MAX_VCPUS = 254;

    private record Reserved(String what, long start, long size) {}

    /** Windows inside the MMIO hole that belong to the platform, not to a device. */
    private static final List<Reserved> RESERVED_IN_HOLE = List.of(
            new Reserved("the IOAPIC", Layout.IOAPIC_ADDRESS, 0x1000),
            new Reserved("the local APIC", Layout.LAPIC_ADDRESS, 0x1000),
            new Reserved("KVM's TSS (KVM_SET_TSS_ADDR, three pages)", Layout.KVM_TSS_ADDRESS, 3 * 0x1000));

    public AcpiConfig {
        if (vcpuCount < 1 || vcpuCount > MAX_VCPUS) {
            throw new IllegalArgumentException("ACPI config: %d vCPUs; the MADT describes 1 to %d (8-bit APIC IDs, 0xFF is broadcast)"
                    .formatted(vcpuCount, MAX_VCPUS));
        }
        virtioDevices = List.copyOf(virtioDevices);
        Set<Integer> gsis = new HashSet<>();
        for (int i = 0; i < virtioDevices.size(); i++) {
            VirtioMmioSlot slot = virtioDevices.get(i);
            if (!gsis.add(slot.gsi())) {
                throw new IllegalArgumentException("ACPI config: virtio device %d at 0x%X reuses GSI %d; each device needs its own edge-triggered line"
                        .formatted(i, slot.base(), slot.gsi()));
            }
            for (int j = 0; j < i; j++) {
                VirtioMmioSlot other = virtioDevices.get(j);
                if (slot.base() < other.end() && other.base() < slot.end()) {
                    throw new IllegalArgumentException("ACPI config: virtio device %d [0x%X, 0x%X) overlaps device %d [0x%X, 0x%X)"
                            .formatted(i, slot.base(), slot.end(), j, other.base(), other.end()));
                }
            }
            for (Reserved reserved : RESERVED_IN_HOLE) {
                long end = reserved.start() + reserved.size();
                if (slot.base() < end && reserved.start() < slot.end()) {
                    throw new IllegalArgumentException("ACPI config: virtio device %d [0x%X, 0x%X) overlaps %s at [0x%X, 0x%X)"
                            .formatted(i, slot.base(), slot.end(), reserved.what(), reserved.start(), end));
                }
            }
        }
    }

    /** Without {@link AcpiPowerControl}: power-off and reset then need another path (i8042 reset, a panic). */
    public AcpiConfig(int vcpuCount, List<VirtioMmioSlot> virtioDevices, boolean com1, boolean i8042) {
        this(vcpuCount, virtioDevices, com1, i8042, false);
    }

    /**
     * Paddock's platform: {@code n} vCPUs, virtio devices in the standard slots 0..m-1, COM1, the i8042 and
     * {@link AcpiPowerControl} (which the VMM must register at {@link AcpiPowerControl#PORT}).
     */
    public static AcpiConfig standard(int vcpuCount, int virtioDeviceCount) {
        return new AcpiConfig(vcpuCount, IntStream.range(0, virtioDeviceCount).mapToObj(VirtioMmioSlot::standard).toList(), true, true, true);
    }
}
