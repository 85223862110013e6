package dev.paddock.runtime.acpi;

import dev.paddock.runtime.arch.x86.Layout;

/**
 * One virtio-mmio transport as the DSDT describes it: its register window and the GSI its irqfd raises.
 * The device manager hands these in the order it placed the devices; slot {@code n} of the list becomes
 * {@code Device(Vnnn)} with {@code _UID n}.
 */
public record VirtioMmioSlot(long base, long size, int gsi) {

    public VirtioMmioSlot {
        if ((base & 0xFFF) != 0 || base < Layout.MMIO_HOLE_START || size <= 0 || base + size > Layout.MMIO_HOLE_END) {
            throw new IllegalArgumentException(("virtio-mmio window [0x%X, +0x%X) must be page-aligned and lie inside the MMIO hole [0x%X, 0x%X); "
                    + "place devices from Layout.VIRTIO_MMIO_BASE").formatted(base, size, Layout.MMIO_HOLE_START, Layout.MMIO_HOLE_END));
        }
        if (gsi < Layout.FIRST_DEVICE_GSI || gsi > Layout.LAST_DEVICE_GSI) {
            throw new IllegalArgumentException("virtio-mmio device at 0x%X: GSI %d is outside the device range %d..%d (GSIs below %d belong to ISA devices)"
                    .formatted(base, gsi, Layout.FIRST_DEVICE_GSI, Layout.LAST_DEVICE_GSI, Layout.FIRST_DEVICE_GSI));
        }
    }

    /** Slot {@code index} of the standard layout: {@code Layout.VIRTIO_MMIO_BASE + index·4 KiB}, GSI {@code 5 + index}. */
    public static VirtioMmioSlot standard(int index) {
        int slots = Layout.LAST_DEVICE_GSI - Layout.FIRST_DEVICE_GSI + 1;
        if (index < 0 || index >= slots) {
            throw new IllegalArgumentException("virtio-mmio slot %d: the standard layout has slots 0..%d (one GSI each)".formatted(index, slots - 1));
        }
        return new VirtioMmioSlot(Layout.VIRTIO_MMIO_BASE + index * Layout.VIRTIO_MMIO_SIZE, Layout.VIRTIO_MMIO_SIZE, Layout.FIRST_DEVICE_GSI + index);
    }

    long end() {
        return base + size;
    }
}
