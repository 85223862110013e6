package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * PVH's start-of-day structure (struct hvm_start_info, version 1, include/xen/interface/hvm/start_info.h),
 * written at {@link Layout#PVH_INFO} with its module list and memory map right after it, all below
 * {@link Layout#ZERO_PAGE}. EBX points at it on entry.
 */
public final class PvhStartInfo {
    /** XEN_HVM_START_MAGIC_VALUE: "xEn3" with the 0x80 bit of the "E" set. */
    public static final int MAGIC = 0x336EC578;
    public static final int VERSION = 1;
    /** struct hvm_start_info offsets (start_info.h's diagram). */
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int FLAGS = 8;
    static final int NR_MODULES = 12;
    static final int MODLIST_PADDR = 16;
    static final int CMDLINE_PADDR = 24;
    static final int RSDP_PADDR = 32;
    static final int MEMMAP_PADDR = 40;
    static final int MEMMAP_ENTRIES = 48;
    static final int START_INFO_SIZE = 56;
    /** struct hvm_modlist_entry {u64 paddr, size, cmdline_paddr, reserved}. */
    static final int MODLIST_ENTRY_SIZE = 32;
    /** struct hvm_memmap_table_entry {u64 addr, size; u32 type, reserved}. */
    static final int MEMMAP_ENTRY_SIZE = 24;
    /** Where the module list and memory map go, relative to {@link Layout#PVH_INFO}. */
    public static final long MODLIST = Layout.PVH_INFO + 0x40;
    public static final long MEMMAP = Layout.PVH_INFO + 0x80;
    static final int AREA_SIZE = (int) (Layout.ZERO_PAGE - Layout.PVH_INFO);

    private PvhStartInfo() {}

    /** Writes the start info for a PVH kernel; the command line must already be at {@link Layout#CMDLINE}. */
    public static void write(GuestMemory memory, Optional<LoadedInitrd> initrd) {
        MemoryMap map = MemoryMap.of(memory);
        int maxEntries = (int) ((Layout.ZERO_PAGE - MEMMAP) / MEMMAP_ENTRY_SIZE);
        if (map.entries().size() > maxEntries) {
            throw new BootException("the memory map has %d entries; the PVH area holds %d"
                    .formatted(map.entries().size(), maxEntries));
        }
        ByteBuffer area = ByteBuffer.allocate(AREA_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        area.putInt(MAGIC_OFFSET, MAGIC);
        area.putInt(VERSION_OFFSET, VERSION);
        area.putInt(FLAGS, 0);
        area.putLong(CMDLINE_PADDR, Layout.CMDLINE);
        area.putLong(RSDP_PADDR, Layout.RSDP);
        initrd.ifPresent(rd -> {
            area.putInt(NR_MODULES, 1);
            area.putLong(MODLIST_PADDR, MODLIST);
            int m = (int) (MODLIST - Layout.PVH_INFO);
            area.putLong(m, rd.address()).putLong(m + 8, rd.size()).putLong(m + 16, 0).putLong(m + 24, 0);
        });
        area.putLong(MEMMAP_PADDR, MEMMAP);
        area.putInt(MEMMAP_ENTRIES, map.entries().size());
        int at = (int) (MEMMAP - Layout.PVH_INFO);
        for (MemoryMap.Entry e : map.entries()) {
            area.putLong(at, e.address()).putLong(at + 8, e.size()).putInt(at + 16, e.type()).putInt(at + 20, 0);
            at += MEMMAP_ENTRY_SIZE;
        }
        GuestRam.requireRam(memory, Layout.PVH_INFO, AREA_SIZE, "the PVH start info");
        memory.write(Layout.PVH_INFO, area.array(), 0, AREA_SIZE);
    }
}
