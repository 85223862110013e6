package dev.paddock.runtime.boot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A bzImage's real-mode setup header (struct setup_header, arch/x86/include/uapi/asm/bootparam.h), kept as
 * the bytes from file offset 0x1F1 to its self-declared end, so it can be copied into the zero page as the
 * boot protocol asks, with typed readers for the fields the loader needs.
 *
 * <p>Field offsets below are absolute file/zero-page offsets (Documentation/arch/x86/boot.rst, "The Real-Mode
 * Kernel Header").
 */
public final class SetupHeader {
    /** Where the header starts in the file and in struct boot_params ({@code hdr}). */
    public static final int START = 0x1F1;
    static final int SETUP_SECTS = 0x1F1;
    static final int SYSSIZE = 0x1F4;
    static final int BOOT_FLAG = 0x1FE;
    static final int JUMP = 0x200;
    static final int HEADER = 0x202;
    static final int VERSION = 0x206;
    static final int TYPE_OF_LOADER = 0x210;
    static final int LOADFLAGS = 0x211;
    static final int RAMDISK_IMAGE = 0x218;
    static final int RAMDISK_SIZE = 0x21C;
    static final int CMD_LINE_PTR = 0x228;
    static final int INITRD_ADDR_MAX = 0x22C;
    static final int KERNEL_ALIGNMENT = 0x230;
    static final int RELOCATABLE_KERNEL = 0x234;
    static final int XLOADFLAGS = 0x236;
    static final int CMDLINE_SIZE = 0x238;
    static final int PREF_ADDRESS = 0x258;
    static final int INIT_SIZE = 0x260;
    /** One past init_size: the shortest header this loader can use (protocol 2.10 and later reach it). */
    static final int MIN_END = 0x264;
    /** struct boot_params has hdr at 0x1F1 and edd_mbr_sig_buffer at 0x290: a longer header cannot be copied. */
    static final int MAX_END = 0x290;

    /** "HdrS" little-endian (boot.rst: header magic at 0x202). */
    static final int MAGIC_HDRS = 0x53726448;
    /** 0xAA55 at 0x1FE (boot.rst: boot_flag). */
    static final int BOOT_FLAG_MAGIC = 0xAA55;
    /** The 64-bit entry point and init_size/pref_address semantics this loader relies on arrived by 2.12. */
    public static final int MIN_PROTOCOL = 0x020C;
    /** xloadflags bit 0, XLF_KERNEL_64: the kernel has the legacy 64-bit entry point at 0x200. */
    static final int XLF_KERNEL_64 = 1;
    /** A zero setup_sects means 4 (boot.rst: "If this field is 0, the real value is 4"). */
    static final int DEFAULT_SETUP_SECTS = 4;

    private final byte[] bytes;

    private SetupHeader(byte[] bytes) {
        this.bytes = bytes;
    }

    /**
     * Parses the header from the start of a bzImage ({@code prefix} holds at least the first 0x290 bytes, or the
     * whole file when shorter). {@code source} names the file in errors.
     */
    static SetupHeader parse(byte[] prefix, String source) {
        if (prefix.length < MIN_END) {
            throw new BootException("%s is %d bytes, too short for a bzImage setup header (it ends at 0x%x); "
                    .formatted(source, prefix.length, MIN_END) + "pass a complete bzImage");
        }
        ByteBuffer b = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(HEADER);
        if (magic != MAGIC_HDRS) {
            throw new BootException("%s has 0x%08x at offset 0x202 where a bzImage has \"HdrS\" (0x%08x); it is "
                    .formatted(source, magic, MAGIC_HDRS) + "not a bzImage (for an ELF vmlinux the file starts with 0x7F 'ELF')");
        }
        int version = b.getShort(VERSION) & 0xFFFF;
        if (version < MIN_PROTOCOL) {
            throw new BootException("%s speaks boot protocol %d.%02d; Paddock needs %d.%02d or later (Linux 3.8+) for "
                    .formatted(source, version >> 8, version & 0xFF, MIN_PROTOCOL >> 8, MIN_PROTOCOL & 0xFF)
                    + "the 64-bit entry point; use a newer kernel");
        }
        int end = HEADER + (b.get(JUMP + 1) & 0xFF);
        if ((b.get(JUMP) & 0xFF) != 0xEB || end < MIN_END || end > MAX_END) {
            throw new BootException("%s declares its setup header ends at 0x%x (jump 0x%02x%02x at 0x200); a protocol "
                    .formatted(source, end, b.get(JUMP) & 0xFF, b.get(JUMP + 1) & 0xFF)
                    + "2.12+ header ends between 0x%x and 0x%x: the file is corrupt".formatted(MIN_END, MAX_END));
        }
        if (prefix.length < end) {
            throw new BootException("%s is %d bytes but its setup header ends at 0x%x; the file is truncated"
                    .formatted(source, prefix.length, end));
        }
        SetupHeader header = new SetupHeader(Arrays.copyOfRange(prefix, START, end));
        if ((header.xloadflags() & XLF_KERNEL_64) == 0) {
            throw new BootException("%s has no 64-bit entry point (xloadflags 0x%x lacks XLF_KERNEL_64); build the "
                    .formatted(source, header.xloadflags()) + "kernel for x86_64");
        }
        return header;
    }

    /** The raw header bytes, from zero-page offset 0x1F1. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Number of 512-byte setup sectors after the boot sector (0 read as 4). */
    public int setupSects() {
        int n = u8(SETUP_SECTS);
        return n == 0 ? DEFAULT_SETUP_SECTS : n;
    }

    /** File offset of the protected-mode kernel: (setup_sects + 1) × 512. */
    public long protectedModeOffset() {
        return (setupSects() + 1L) * 512;
    }

    /** Size of the protected-mode code in bytes (syssize is in 16-byte paragraphs). */
    public long syssizeBytes() {
        return u32(SYSSIZE) * 16;
    }

    public int version() {
        return u16(VERSION);
    }

    public int loadflags() {
        return u8(LOADFLAGS);
    }

    public int xloadflags() {
        return u16(XLOADFLAGS);
    }

    public boolean relocatable() {
        return u8(RELOCATABLE_KERNEL) != 0;
    }

    public long kernelAlignment() {
        return u32(KERNEL_ALIGNMENT);
    }

    public long prefAddress() {
        return u64(PREF_ADDRESS);
    }

    /** Bytes of linear memory the kernel needs from its load address until it has relocated itself. */
    public long initSize() {
        return u32(INIT_SIZE);
    }

    /** Longest command line the kernel accepts, without the terminating NUL. */
    public long cmdlineSize() {
        return u32(CMDLINE_SIZE);
    }

    /** Highest address the initrd's last byte may occupy. */
    public long initrdAddrMax() {
        return u32(INITRD_ADDR_MAX);
    }

    private int u8(int offset) {
        return bytes[offset - START] & 0xFF;
    }

    private int u16(int offset) {
        return u8(offset) | (u8(offset + 1) << 8);
    }

    private long u32(int offset) {
        return (u16(offset) | ((long) u16(offset + 2) << 16)) & 0xFFFF_FFFFL;
    }

    private long u64(int offset) {
        return u32(offset) | (u32(offset + 4) << 32);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SetupHeader h && Arrays.equals(bytes, h.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "SetupHeader[protocol %d.%02d, relocatable %s, pref_address 0x%x, kernel_alignment 0x%x, init_size 0x%x]"
                .formatted(version() >> 8, version() & 0xFF, relocatable(), prefAddress(), kernelAlignment(),
                        initSize());
    }
}
