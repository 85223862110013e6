package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.memory.GuestRegion;
import dev.paddock.runtime.arch.x86.Layout;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest's physical memory map, derived from the GuestMemory regions, as both boot paths hand it to the
 * kernel: the e820 table in the zero page and the hvm_memmap_table in PVH's start info share its entries and
 * types.
 *
 * <p>Low memory: RAM [0, {@link Layout#EBDA_START}), reserved [EBDA_START, 1 MiB) (the EBDA, VGA hole and
 * BIOS area, where our ACPI tables and RSDP live), RAM from 1 MiB to the end of the region. Other regions
 * (RAM above 4 GiB) are RAM whole.
 */
public record MemoryMap(List<Entry> entries) {
    /** e820 / hvm_memmap types: arch/x86/include/uapi/asm/e820.h (E820_TYPE_RAM 1, E820_TYPE_RESERVED 2). */
    public static final int TYPE_RAM = 1;
    public static final int TYPE_RESERVED = 2;

    public record Entry(long address, long size, int type) {
        public long end() {
            return address + size;
        }
    }

    public MemoryMap {
        entries = List.copyOf(entries);
    }

    public static MemoryMap of(GuestMemory memory) {
        return of(memory.regions());
    }

    /** The map for RAM {@code regions} (ascending, as {@link GuestMemory#regions()} gives them). */
    public static MemoryMap of(List<GuestRegion> regions) {
        List<Entry> out = new ArrayList<>();
        for (GuestRegion r : regions) {
            if (r.guestAddress() == 0) {
                if (r.end() < Layout.HIMEM_START) {
                    throw new BootException("guest low RAM ends at 0x%x, below 1 MiB; a Linux guest needs more memory"
                            .formatted(r.end()));
                }
                out.add(new Entry(0, Layout.EBDA_START, TYPE_RAM));
                out.add(new Entry(Layout.EBDA_START, Layout.HIMEM_START - Layout.EBDA_START, TYPE_RESERVED));
                if (r.end() > Layout.HIMEM_START) {
                    out.add(new Entry(Layout.HIMEM_START, r.end() - Layout.HIMEM_START, TYPE_RAM));
                }
            } else {
                out.add(new Entry(r.guestAddress(), r.size(), TYPE_RAM));
            }
        }
        if (out.isEmpty() || out.get(0).address() != 0) {
            throw new BootException("guest memory has no RAM region at address 0 (regions: %s); x86 guests need low RAM"
                    .formatted(regions));
        }
        return new MemoryMap(out);
    }
}
