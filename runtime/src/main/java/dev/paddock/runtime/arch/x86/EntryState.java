package dev.paddock.runtime.arch.x86;

import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Sregs;

/**
 * The boot vCPU's registers at the kernel's first instruction, for each entry path.
 *
 * <ul>
 *   <li>64-bit Linux (boot.rst §64-bit Boot Protocol): long mode, paging on with the identity map, CS a 64-bit
 *       code segment, DS/ES/SS flat data, RSI = zero page, interrupts off (RFLAGS = 0x2).</li>
 *   <li>PVH (xen docs/misc/pvh.pandoc): 32-bit protected mode, paging off, CS flat 32-bit code, DS/ES/SS flat
 *       data, TR a 32-bit TSS, EBX = hvm_start_info, interrupts off.</li>
 * </ul>
 */
public final class EntryState {
    /** CR0.ET (bit 4): hardwired to 1 on every CPU since the 486; KVM expects it set. */
    public static final long CR0_ET = 1L << 4;

    private EntryState() {}

    public static Regs longModeRegs(long entry, long zeroPage) {
        return zeroRegs()
                .with(Regs.Register.RIP, entry)
                .with(Regs.Register.RSI, zeroPage)
                .with(Regs.Register.RSP, Layout.BOOT_STACK)
                .with(Regs.Register.RBP, Layout.BOOT_STACK);
    }

    public static Regs protectedModeRegs(long entry, long startInfo) {
        return zeroRegs()
                .with(Regs.Register.RIP, entry)
                .with(Regs.Register.RBX, startInfo);
    }

    /** {@code current} (KVM's reset sregs, for the APIC base and LDT) set up for the 64-bit entry. */
    public static Sregs longModeSregs(Sregs current) {
        Gdt gdt = Gdt.longMode();
        return current.withSegments(gdt.code(), gdt.data())
                .withTr(gdt.tss())
                .withTables(gdt.table(), Gdt.emptyIdt())
                .withControl(Sregs.CR0_PE | CR0_ET | Sregs.CR0_PG, Layout.PML4, Sregs.CR4_PAE,
                        Sregs.EFER_LME | Sregs.EFER_LMA);
    }

    /** {@code current} set up for PVH's 32-bit protected-mode entry, paging off. */
    public static Sregs protectedModeSregs(Sregs current) {
        Gdt gdt = Gdt.protectedMode();
        return current.withSegments(gdt.code(), gdt.data())
                .withTr(gdt.tss())
                .withTables(gdt.table(), Gdt.emptyIdt())
                .withControl(Sregs.CR0_PE | CR0_ET, 0, 0, 0);
    }

    private static Regs zeroRegs() {
        long[] v = new long[Regs.Register.values().length];
        v[Regs.Register.RFLAGS.ordinal()] = Regs.RFLAGS_RESERVED;
        return Regs.fromArray(v);
    }
}
