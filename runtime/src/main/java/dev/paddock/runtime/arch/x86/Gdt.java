package dev.paddock.runtime.arch.x86;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.x86.DescriptorTable;
import dev.paddock.hypervisor.x86.Segment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The boot GDT at {@link Layout#GDT}: null, code, data and TSS descriptors, and the segment registers derived
 * from those same descriptors, so what the vCPU's hidden segment caches hold always matches the table the
 * kernel can read back.
 *
 * <p>Descriptor format: Intel SDM Vol. 3A §3.4.5 "Segment Descriptors". The 16-bit "flags" used here are the
 * descriptor's bits 40–55: access byte (type, S, DPL, P) in the low 8 bits, then limit 19:16 (always taken from
 * the limit), then AVL, L, D/B, G in the top nibble.
 */
public final class Gdt {
    public static final int CODE_SELECTOR = 0x08;
    public static final int DATA_SELECTOR = 0x10;
    public static final int TSS_SELECTOR = 0x18;
    /** Present, DPL 0, execute/read accessed code; G and L: 64-bit code. */
    static final int CODE_64 = 0xA09B;
    /** Present, DPL 0, execute/read accessed code; G and D: 32-bit code (PVH entry). */
    static final int CODE_32 = 0xC09B;
    /** Present, DPL 0, read/write accessed data; G and B. */
    static final int DATA = 0xC093;
    /** Present busy 32/64-bit TSS (type 0xB, S 0), G set: the flat TSS the 64-bit entry uses. */
    static final int TSS_LONG = 0x808B;
    /** Present busy 32-bit TSS, byte granular: PVH asks for base 0, limit 0x67 (xen docs/misc/pvh.pandoc). */
    static final int TSS_PVH = 0x008B;
    static final long FLAT_LIMIT = 0xFFFFF;
    static final long PVH_TSS_LIMIT = 0x67;

    private final long[] descriptors;

    private Gdt(long... descriptors) {
        this.descriptors = descriptors;
    }

    /** The table for the 64-bit Linux entry: 64-bit code. */
    public static Gdt longMode() {
        return new Gdt(0, encode(CODE_64, 0, FLAT_LIMIT), encode(DATA, 0, FLAT_LIMIT), encode(TSS_LONG, 0, FLAT_LIMIT));
    }

    /** The table for PVH's 32-bit protected-mode entry: flat 32-bit code and data, a 0x67-byte TSS. */
    public static Gdt protectedMode() {
        return new Gdt(0, encode(CODE_32, 0, FLAT_LIMIT), encode(DATA, 0, FLAT_LIMIT), encode(TSS_PVH, 0, PVH_TSS_LIMIT));
    }

    /** Packs {@code flags} (bits 40–55 less the limit nibble), base and 20-bit limit into an 8-byte descriptor. */
    static long encode(int flags, long base, long limit) {
        return ((base & 0xFF00_0000L) << 32)
                | ((long) (flags & 0xF0FF) << 40)
                | ((limit & 0xF_0000L) << 32)
                | ((base & 0x00FF_FFFFL) << 16)
                | (limit & 0xFFFFL);
    }

    /** The segment register contents that loading {@code selector} from a descriptor would produce. */
    static Segment decode(long d, int selector) {
        long base = ((d >>> 16) & 0xFF_FFFFL) | ((d >>> 32) & 0xFF00_0000L);
        long rawLimit = (d & 0xFFFF) | ((d >>> 32) & 0xF_0000L);
        int access = (int) (d >>> 40) & 0xFF;
        int upper = (int) (d >>> 52) & 0xF;
        boolean g = (upper & 0x8) != 0;
        boolean present = (access & 0x80) != 0;
        long limit = g ? (rawLimit << 12) | 0xFFF : rawLimit;
        return new Segment(base, (int) limit, selector, access & 0xF, present, (access >>> 5) & 3,
                (upper & 0x4) != 0, (access & 0x10) != 0, (upper & 0x2) != 0, g, (upper & 0x1) != 0, !present);
    }

    public long descriptor(int index) {
        return descriptors[index];
    }

    public int entries() {
        return descriptors.length;
    }

    public Segment code() {
        return decode(descriptors[CODE_SELECTOR >> 3], CODE_SELECTOR);
    }

    public Segment data() {
        return decode(descriptors[DATA_SELECTOR >> 3], DATA_SELECTOR);
    }

    public Segment tss() {
        return decode(descriptors[TSS_SELECTOR >> 3], TSS_SELECTOR);
    }

    /** GDTR: base {@link Layout#GDT}, limit = size − 1. */
    public DescriptorTable table() {
        return new DescriptorTable(Layout.GDT, descriptors.length * 8 - 1);
    }

    /** IDTR: an empty IDT at {@link Layout#IDT}; the kernel loads its own before it enables interrupts. */
    public static DescriptorTable emptyIdt() {
        return new DescriptorTable(Layout.IDT, 0);
    }

    /** Writes the descriptors at {@link Layout#GDT} and a zero IDT entry at {@link Layout#IDT}. */
    public void write(GuestMemory memory) {
        if (Layout.GDT + descriptors.length * 8L > Layout.IDT) {
            throw new IllegalStateException("GDT of %d entries at 0x%x overlaps the IDT at 0x%x"
                    .formatted(descriptors.length, Layout.GDT, Layout.IDT));
        }
        ByteBuffer b = ByteBuffer.allocate(descriptors.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long d : descriptors) {
            b.putLong(d);
        }
        memory.write(Layout.GDT, b.array(), 0, b.capacity());
        memory.writeLong(Layout.IDT, 0);
    }
}
