package dev.paddock.runtime.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.x86.DescriptorTable;
import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Segment;
import dev.paddock.hypervisor.x86.Sregs;
import org.junit.jupiter.api.Test;

class EntryStateTest {
    /** Roughly what KVM_GET_SREGS returns after vCPU creation: real mode, APIC base set. */
    static Sregs resetSregs() {
        Segment cs = Segment.realMode(0xF000, true);
        Segment ds = Segment.realMode(0, false);
        Segment ldt = new Segment(0, 0xFFFF, 0, 2, true, 0, false, false, false, false, false, false);
        return new Sregs(cs, ds, ds, ds, ds, ds, ldt, ldt, new DescriptorTable(0, 0xFFFF),
                new DescriptorTable(0, 0xFFFF), 0x60000010L, 0, 0, 0, 0, 0, 0xFEE00900L, new long[4]);
    }

    @Test
    void longModeEntry() {
        Regs regs = EntryState.longModeRegs(0x1000200, 0x7000);
        assertThat(regs.rip()).isEqualTo(0x1000200);
        assertThat(regs.rsi()).isEqualTo(0x7000);
        assertThat(regs.rsp()).isEqualTo(0x8FF0);
        assertThat(regs.rbp()).isEqualTo(0x8FF0);
        assertThat(regs.rflags()).isEqualTo(2);
        assertThat(regs.rax()).isZero();
        assertThat(regs.rbx()).isZero();

        Sregs s = EntryState.longModeSregs(resetSregs());
        assertThat(s.cr0()).isEqualTo(0x8000_0011L);
        assertThat(s.cr3()).isEqualTo(0x9000);
        assertThat(s.cr4()).isEqualTo(0x20);
        assertThat(s.efer()).isEqualTo(0x500);
        assertThat(s.cs()).isEqualTo(Gdt.longMode().code());
        assertThat(s.cs().l()).isTrue();
        assertThat(s.ds()).isEqualTo(Gdt.longMode().data());
        assertThat(s.ss()).isEqualTo(Gdt.longMode().data());
        assertThat(s.tr()).isEqualTo(Gdt.longMode().tss());
        assertThat(s.gdt()).isEqualTo(new DescriptorTable(0x500, 31));
        assertThat(s.idt()).isEqualTo(new DescriptorTable(0x520, 0));
        assertThat(s.apicBase()).as("kept from KVM").isEqualTo(0xFEE00900L);
    }

    @Test
    void pvhEntryIs32BitProtectedModeWithoutPaging() {
        Regs regs = EntryState.protectedModeRegs(0x1000850, 0x6000);
        assertThat(regs.rip()).isEqualTo(0x1000850);
        assertThat(regs.rbx()).isEqualTo(0x6000);
        assertThat(regs.rsi()).isZero();
        assertThat(regs.rflags()).isEqualTo(2);

        Sregs s = EntryState.protectedModeSregs(resetSregs());
        assertThat(s.cr0()).isEqualTo(0x11);
        assertThat(s.cr3()).isZero();
        assertThat(s.cr4()).isZero();
        assertThat(s.efer()).isZero();
        assertThat(s.cs().l()).isFalse();
        assertThat(s.cs().db()).isTrue();
        assertThat(s.cs().base()).isZero();
        assertThat(s.cs().limit()).isEqualTo(0xFFFFFFFF);
        assertThat(s.es()).isEqualTo(Gdt.protectedMode().data());
        assertThat(s.tr().limit()).isEqualTo(0x67);
    }
}
