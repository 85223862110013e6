package dev.paddock.hypervisor.linux;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.paddock.hypervisor.x86.CpuidEntry;
import dev.paddock.hypervisor.x86.DescriptorTable;
import dev.paddock.hypervisor.x86.MsrEntry;
import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Segment;
import dev.paddock.hypervisor.x86.Sregs;
import dev.paddock.hypervisor.x86.Xcrs;
import java.util.ArrayList;
import java.util.List;

/** Conversions between KVM's x86 structs (offsets in {@link KvmAbi}) and the value types of {@code x86}. */
final class X86State {
    private X86State() {
        throw new AssertionError("no instances");
    }

    static Regs readRegs(Pointer p) {
        return Regs.fromArray(p.getLongArray(KvmAbi.Regs.RAX, 18));
    }

    static void writeRegs(Pointer p, Regs regs) {
        p.write(KvmAbi.Regs.RAX, regs.toArray(), 0, 18);
    }

    static Segment readSegment(Pointer p, long at) {
        Pointer s = p.share(at);
        return new Segment(s.getLong(KvmAbi.Segment.BASE), s.getInt(KvmAbi.Segment.LIMIT),
                s.getShort(KvmAbi.Segment.SELECTOR) & 0xFFFF, s.getByte(KvmAbi.Segment.TYPE) & 0xFF,
                s.getByte(KvmAbi.Segment.PRESENT) != 0, s.getByte(KvmAbi.Segment.DPL) & 0xFF,
                s.getByte(KvmAbi.Segment.DB) != 0, s.getByte(KvmAbi.Segment.S) != 0,
                s.getByte(KvmAbi.Segment.L) != 0, s.getByte(KvmAbi.Segment.G) != 0,
                s.getByte(KvmAbi.Segment.AVL) != 0, s.getByte(KvmAbi.Segment.UNUSABLE) != 0);
    }

    static void writeSegment(Pointer p, long at, Segment seg) {
        Pointer s = p.share(at);
        s.clear(KvmAbi.SIZEOF_KVM_SEGMENT);
        s.setLong(KvmAbi.Segment.BASE, seg.base());
        s.setInt(KvmAbi.Segment.LIMIT, seg.limit());
        s.setShort(KvmAbi.Segment.SELECTOR, (short) seg.selector());
        s.setByte(KvmAbi.Segment.TYPE, (byte) seg.type());
        s.setByte(KvmAbi.Segment.PRESENT, flag(seg.present()));
        s.setByte(KvmAbi.Segment.DPL, (byte) seg.dpl());
        s.setByte(KvmAbi.Segment.DB, flag(seg.db()));
        s.setByte(KvmAbi.Segment.S, flag(seg.s()));
        s.setByte(KvmAbi.Segment.L, flag(seg.l()));
        s.setByte(KvmAbi.Segment.G, flag(seg.g()));
        s.setByte(KvmAbi.Segment.AVL, flag(seg.avl()));
        s.setByte(KvmAbi.Segment.UNUSABLE, flag(seg.unusable()));
    }

    private static byte flag(boolean b) {
        return (byte) (b ? 1 : 0);
    }

    static DescriptorTable readTable(Pointer p, long at) {
        return new DescriptorTable(p.getLong(at + KvmAbi.Segment.DTABLE_BASE),
                p.getShort(at + KvmAbi.Segment.DTABLE_LIMIT) & 0xFFFF);
    }

    static void writeTable(Pointer p, long at, DescriptorTable t) {
        p.share(at).clear(KvmAbi.SIZEOF_KVM_DTABLE);
        p.setLong(at + KvmAbi.Segment.DTABLE_BASE, t.base());
        p.setShort(at + KvmAbi.Segment.DTABLE_LIMIT, (short) t.limit());
    }

    static Sregs readSregs(Pointer p) {
        return new Sregs(readSegment(p, KvmAbi.Sregs.CS), readSegment(p, KvmAbi.Sregs.DS),
                readSegment(p, KvmAbi.Sregs.ES), readSegment(p, KvmAbi.Sregs.FS), readSegment(p, KvmAbi.Sregs.GS),
                readSegment(p, KvmAbi.Sregs.SS), readSegment(p, KvmAbi.Sregs.TR), readSegment(p, KvmAbi.Sregs.LDT),
                readTable(p, KvmAbi.Sregs.GDT), readTable(p, KvmAbi.Sregs.IDT), p.getLong(KvmAbi.Sregs.CR0),
                p.getLong(KvmAbi.Sregs.CR2), p.getLong(KvmAbi.Sregs.CR3), p.getLong(KvmAbi.Sregs.CR4),
                p.getLong(KvmAbi.Sregs.CR8), p.getLong(KvmAbi.Sregs.EFER), p.getLong(KvmAbi.Sregs.APIC_BASE),
                p.getLongArray(KvmAbi.Sregs.INTERRUPT_BITMAP, KvmAbi.Sregs.INTERRUPT_BITMAP_WORDS));
    }

    static void writeSregs(Pointer p, Sregs s) {
        writeSegment(p, KvmAbi.Sregs.CS, s.cs());
        writeSegment(p, KvmAbi.Sregs.DS, s.ds());
        writeSegment(p, KvmAbi.Sregs.ES, s.es());
        writeSegment(p, KvmAbi.Sregs.FS, s.fs());
        writeSegment(p, KvmAbi.Sregs.GS, s.gs());
        writeSegment(p, KvmAbi.Sregs.SS, s.ss());
        writeSegment(p, KvmAbi.Sregs.TR, s.tr());
        writeSegment(p, KvmAbi.Sregs.LDT, s.ldt());
        writeTable(p, KvmAbi.Sregs.GDT, s.gdt());
        writeTable(p, KvmAbi.Sregs.IDT, s.idt());
        p.setLong(KvmAbi.Sregs.CR0, s.cr0());
        p.setLong(KvmAbi.Sregs.CR2, s.cr2());
        p.setLong(KvmAbi.Sregs.CR3, s.cr3());
        p.setLong(KvmAbi.Sregs.CR4, s.cr4());
        p.setLong(KvmAbi.Sregs.CR8, s.cr8());
        p.setLong(KvmAbi.Sregs.EFER, s.efer());
        p.setLong(KvmAbi.Sregs.APIC_BASE, s.apicBase());
        p.write(KvmAbi.Sregs.INTERRUPT_BITMAP, s.interruptBitmap(), 0, KvmAbi.Sregs.INTERRUPT_BITMAP_WORDS);
    }

    static List<CpuidEntry> readCpuid(Pointer p) {
        int n = p.getInt(KvmAbi.Cpuid2.NENT);
        List<CpuidEntry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long e = KvmAbi.Cpuid2.ENTRIES + (long) i * KvmAbi.SIZEOF_KVM_CPUID_ENTRY2;
            entries.add(new CpuidEntry(p.getInt(e + KvmAbi.Cpuid2.ENTRY_FUNCTION),
                    p.getInt(e + KvmAbi.Cpuid2.ENTRY_INDEX), p.getInt(e + KvmAbi.Cpuid2.ENTRY_FLAGS),
                    p.getInt(e + KvmAbi.Cpuid2.ENTRY_EAX), p.getInt(e + KvmAbi.Cpuid2.ENTRY_EBX),
                    p.getInt(e + KvmAbi.Cpuid2.ENTRY_ECX), p.getInt(e + KvmAbi.Cpuid2.ENTRY_EDX)));
        }
        return entries;
    }

    static Memory writeCpuid(List<CpuidEntry> entries) {
        Memory m = new Memory(KvmAbi.SIZEOF_KVM_CPUID2 + (long) Math.max(1, entries.size())
                * KvmAbi.SIZEOF_KVM_CPUID_ENTRY2);
        m.clear();
        m.setInt(KvmAbi.Cpuid2.NENT, entries.size());
        for (int i = 0; i < entries.size(); i++) {
            CpuidEntry c = entries.get(i);
            long e = KvmAbi.Cpuid2.ENTRIES + (long) i * KvmAbi.SIZEOF_KVM_CPUID_ENTRY2;
            m.setInt(e + KvmAbi.Cpuid2.ENTRY_FUNCTION, c.function());
            m.setInt(e + KvmAbi.Cpuid2.ENTRY_INDEX, c.index());
            m.setInt(e + KvmAbi.Cpuid2.ENTRY_FLAGS, c.flags());
            m.setInt(e + KvmAbi.Cpuid2.ENTRY_EAX, c.eax());
            m.setInt(e + KvmAbi.Cpuid2.ENTRY_EBX, c.ebx());
            m.setInt(e + KvmAbi.Cpuid2.ENTRY_ECX, c.ecx());
            m.setInt(e + KvmAbi.Cpuid2.ENTRY_EDX, c.edx());
        }
        return m;
    }

    static Memory msrBuffer(int count) {
        Memory m = new Memory(KvmAbi.SIZEOF_KVM_MSRS + (long) Math.max(1, count) * KvmAbi.SIZEOF_KVM_MSR_ENTRY);
        m.clear();
        m.setInt(KvmAbi.Msrs.NMSRS, count);
        return m;
    }

    static void writeMsr(Pointer p, int i, MsrEntry e) {
        long at = KvmAbi.Msrs.ENTRIES + (long) i * KvmAbi.SIZEOF_KVM_MSR_ENTRY;
        p.setInt(at + KvmAbi.Msrs.ENTRY_INDEX, e.index());
        p.setLong(at + KvmAbi.Msrs.ENTRY_DATA, e.data());
    }

    static MsrEntry readMsr(Pointer p, int i) {
        long at = KvmAbi.Msrs.ENTRIES + (long) i * KvmAbi.SIZEOF_KVM_MSR_ENTRY;
        return new MsrEntry(p.getInt(at + KvmAbi.Msrs.ENTRY_INDEX), p.getLong(at + KvmAbi.Msrs.ENTRY_DATA));
    }

    static Xcrs readXcrs(Pointer p) {
        // Kernel-filled, but bound it anyway: the array has 16 slots.
        int n = Math.min(p.getInt(KvmAbi.Xcrs.NR_XCRS), KvmAbi.Xcrs.MAX_XCRS);
        List<Xcrs.Xcr> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long at = KvmAbi.Xcrs.XCRS + (long) i * KvmAbi.SIZEOF_KVM_XCR;
            list.add(new Xcrs.Xcr(p.getInt(at + KvmAbi.Xcrs.XCR_XCR), p.getLong(at + KvmAbi.Xcrs.XCR_VALUE)));
        }
        return new Xcrs(p.getInt(KvmAbi.Xcrs.FLAGS), list);
    }

    static void writeXcrs(Pointer p, Xcrs x) {
        p.clear(KvmAbi.SIZEOF_KVM_XCRS);
        p.setInt(KvmAbi.Xcrs.NR_XCRS, x.xcrs().size());
        p.setInt(KvmAbi.Xcrs.FLAGS, x.flags());
        for (int i = 0; i < x.xcrs().size(); i++) {
            long at = KvmAbi.Xcrs.XCRS + (long) i * KvmAbi.SIZEOF_KVM_XCR;
            p.setInt(at + KvmAbi.Xcrs.XCR_XCR, x.xcrs().get(i).xcr());
            p.setLong(at + KvmAbi.Xcrs.XCR_VALUE, x.xcrs().get(i).value());
        }
    }
}
