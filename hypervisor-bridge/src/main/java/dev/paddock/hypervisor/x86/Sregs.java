package dev.paddock.hypervisor.x86;

/**
 * Segment, descriptor-table and control registers of an x86_64 vCPU (KVM: struct kvm_sregs).
 * {@code interruptBitmap} is the 256-bit pending external interrupt bitmap, four 64-bit words.
 */
public record Sregs(Segment cs, Segment ds, Segment es, Segment fs, Segment gs, Segment ss, Segment tr,
                    Segment ldt, DescriptorTable gdt, DescriptorTable idt, long cr0, long cr2, long cr3, long cr4,
                    long cr8, long efer, long apicBase, long[] interruptBitmap) {

    public static final long CR0_PE = 1L;
    public static final long CR0_PG = 1L << 31;
    public static final long CR4_PAE = 1L << 5;
    public static final long EFER_LME = 1L << 8;
    public static final long EFER_LMA = 1L << 10;

    public Sregs {
        if (interruptBitmap.length != 4) {
            throw new IllegalArgumentException("interrupt bitmap is 4 words, got " + interruptBitmap.length);
        }
        interruptBitmap = interruptBitmap.clone();
    }

    @Override
    public long[] interruptBitmap() {
        return interruptBitmap.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sregs x && cs.equals(x.cs) && ds.equals(x.ds) && es.equals(x.es) && fs.equals(x.fs)
                && gs.equals(x.gs) && ss.equals(x.ss) && tr.equals(x.tr) && ldt.equals(x.ldt) && gdt.equals(x.gdt)
                && idt.equals(x.idt) && cr0 == x.cr0 && cr2 == x.cr2 && cr3 == x.cr3 && cr4 == x.cr4 && cr8 == x.cr8
                && efer == x.efer && apicBase == x.apicBase
                && java.util.Arrays.equals(interruptBitmap, x.interruptBitmap);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(cs, ds, es, fs, gs, ss, tr, ldt, gdt, idt, cr0, cr2, cr3, cr4, cr8, efer,
                apicBase, java.util.Arrays.hashCode(interruptBitmap));
    }

    /** A copy with every data segment (DS, ES, FS, GS, SS) set to {@code data} and CS to {@code code}. */
    public Sregs withSegments(Segment code, Segment data) {
        return new Sregs(code, data, data, data, data, data, tr, ldt, gdt, idt, cr0, cr2, cr3, cr4, cr8, efer,
                apicBase, interruptBitmap);
    }

    public Sregs withTr(Segment newTr) {
        return new Sregs(cs, ds, es, fs, gs, ss, newTr, ldt, gdt, idt, cr0, cr2, cr3, cr4, cr8, efer, apicBase,
                interruptBitmap);
    }

    public Sregs withTables(DescriptorTable newGdt, DescriptorTable newIdt) {
        return new Sregs(cs, ds, es, fs, gs, ss, tr, ldt, newGdt, newIdt, cr0, cr2, cr3, cr4, cr8, efer, apicBase,
                interruptBitmap);
    }

    public Sregs withControl(long newCr0, long newCr3, long newCr4, long newEfer) {
        return new Sregs(cs, ds, es, fs, gs, ss, tr, ldt, gdt, idt, newCr0, cr2, newCr3, newCr4, cr8, newEfer,
                apicBase, interruptBitmap);
    }
}
