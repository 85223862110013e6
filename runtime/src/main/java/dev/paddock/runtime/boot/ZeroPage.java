package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * The zero page (struct boot_params, arch/x86/include/uapi/asm/bootparam.h) for the 64-bit Linux boot
 * protocol, written at {@link Layout#ZERO_PAGE}: the bzImage's setup header copied in at 0x1F1, then the
 * loader's fields filled in.
 */
public final class ZeroPage {
    /** sizeof(struct boot_params). */
    public static final int SIZE = 4096;
    /** struct boot_params offsets (bootparam.h, offsets as in its comments). */
    static final int ACPI_RSDP_ADDR = 0x070;
    static final int EXT_RAMDISK_IMAGE = 0x0C0;
    static final int EXT_RAMDISK_SIZE = 0x0C4;
    static final int EXT_CMD_LINE_PTR = 0x0C8;
    static final int E820_ENTRIES = 0x1E8;
    static final int E820_TABLE = 0x2D0;
    /** struct boot_e820_entry {__u64 addr; __u64 size; __u32 type;} __packed. */
    static final int E820_ENTRY_SIZE = 20;
    /** E820_MAX_ENTRIES_ZEROPAGE. */
    static final int E820_MAX_ENTRIES = 128;
    /** boot.rst type_of_loader: 0xFF "undefined" (no assigned boot loader ID). */
    static final int LOADER_UNDEFINED = 0xFF;

    private ZeroPage() {}

    /**
     * Writes the zero page for a bzImage kernel. The command line must already be at {@link Layout#CMDLINE}
     * ({@link KernelCmdline#write}); its length is recorded nowhere here because the kernel reads it up to the NUL.
     */
    public static void write(GuestMemory memory, LoadedKernel kernel, Optional<LoadedInitrd> initrd) {
        SetupHeader header = kernel.setupHeader().orElseThrow(() -> new BootException(
                "a zero page needs a bzImage setup header; this kernel boots through " + kernel.protocol()));
        MemoryMap map = MemoryMap.of(memory);
        if (map.entries().size() > E820_MAX_ENTRIES) {
            throw new BootException("the memory map has %d entries; the zero page holds %d"
                    .formatted(map.entries().size(), E820_MAX_ENTRIES));
        }
        ByteBuffer page = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        page.put(SetupHeader.START, header.bytes());
        page.put(SetupHeader.TYPE_OF_LOADER, (byte) LOADER_UNDEFINED);
        page.putInt(SetupHeader.CMD_LINE_PTR, (int) Layout.CMDLINE);
        page.putInt(EXT_CMD_LINE_PTR, (int) (Layout.CMDLINE >>> 32));
        page.putLong(ACPI_RSDP_ADDR, Layout.RSDP);
        initrd.ifPresent(rd -> {
            page.putInt(SetupHeader.RAMDISK_IMAGE, (int) rd.address());
            page.putInt(EXT_RAMDISK_IMAGE, (int) (rd.address() >>> 32));
            page.putInt(SetupHeader.RAMDISK_SIZE, (int) rd.size());
            page.putInt(EXT_RAMDISK_SIZE, (int) (rd.size() >>> 32));
        });
        page.put(E820_ENTRIES, (byte) map.entries().size());
        int at = E820_TABLE;
        for (MemoryMap.Entry e : map.entries()) {
            page.putLong(at, e.address()).putLong(at + 8, e.size()).putInt(at + 16, e.type());
            at += E820_ENTRY_SIZE;
        }
        GuestRam.requireRam(memory, Layout.ZERO_PAGE, SIZE, "the zero page");
        memory.write(Layout.ZERO_PAGE, page.array(), 0, SIZE);
    }
}
