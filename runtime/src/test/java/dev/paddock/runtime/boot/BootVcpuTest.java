package dev.paddock.runtime.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.hypervisor.x86.CpuidEntry;
import dev.paddock.hypervisor.x86.DescriptorTable;
import dev.paddock.hypervisor.x86.Fpu;
import dev.paddock.hypervisor.x86.LapicState;
import dev.paddock.hypervisor.x86.MsrEntry;
import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Segment;
import dev.paddock.hypervisor.x86.Sregs;
import dev.paddock.runtime.arch.x86.BootMsrs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BootVcpuTest {
    private static final long MIB = 1 << 20;
    private static final List<CpuidEntry> SUPPORTED = List.of(
            new CpuidEntry(0x1, 0, 0, 0x806F8, 0x800, 0, 0),
            new CpuidEntry(0x40000000, 0, 0, 0x40000001, 0x4B4D564B, 0x564B4D56, 0x4D));

    /** Records the calls in order, starting from KVM-like reset state. */
    static final class RecordingVcpu implements BootVcpu.Target {
        final List<String> calls = new ArrayList<>();
        List<CpuidEntry> cpuid;
        List<MsrEntry> msrs;
        Fpu fpu;
        Regs regs;
        Sregs sregs = resetSregs();
        LapicState lapic = new LapicState(new byte[1024]).withRegister(0x350, 0x10000).withRegister(0x360, 0x10000);

        static Sregs resetSregs() {
            Segment cs = Segment.realMode(0xF000, true);
            Segment ds = Segment.realMode(0, false);
            return new Sregs(cs, ds, ds, ds, ds, ds, ds, ds, new DescriptorTable(0, 0xFFFF),
                    new DescriptorTable(0, 0xFFFF), 0x60000010L, 0, 0, 0, 0, 0, 0xFEE00900L, new long[4]);
        }

        @Override public void setCpuid(List<CpuidEntry> entries) {
            calls.add("cpuid");
            cpuid = entries;
        }

        @Override public void setMsrs(List<MsrEntry> entries) {
            calls.add("msrs");
            msrs = entries;
        }

        @Override public void setFpu(Fpu f) {
            calls.add("fpu");
            fpu = f;
        }

        @Override public void setRegs(Regs r) {
            calls.add("regs");
            regs = r;
        }

        @Override public Sregs sregs() {
            return sregs;
        }

        @Override public void setSregs(Sregs s) {
            calls.add("sregs");
            sregs = s;
        }

        @Override public LapicState lapic() {
            return lapic;
        }

        @Override public void setLapic(LapicState l) {
            calls.add("lapic");
            lapic = l;
        }
    }

    private static LoadedKernel linux() {
        return new LoadedKernel(BootProtocol.LINUX_64, 16 * MIB + 0x200, 16 * MIB, 20 * MIB,
                Optional.of(SetupHeader.parse(Arrays.copyOf(new SyntheticImages.BzImage().build(), 0x290), "test")));
    }

    @Test
    void bootProcessorEntersTheLinux64EntryWithTablesInMemory() {
        RecordingVcpu vcpu = new RecordingVcpu();
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            BootVcpu.configure(vcpu, memory, 0, 2, linux(), SUPPORTED);

            assertThat(vcpu.calls).containsExactly("cpuid", "msrs", "fpu", "regs", "sregs", "lapic");
            assertThat(vcpu.cpuid.get(0).ebx() >>> 24).isZero();
            assertThat((vcpu.cpuid.get(0).ebx() >>> 16) & 0xFF).isEqualTo(2);
            assertThat(vcpu.cpuid.get(1)).isEqualTo(SUPPORTED.get(1));
            assertThat(vcpu.msrs).isEqualTo(BootMsrs.entries());
            assertThat(vcpu.fpu.fcw()).isEqualTo(0x37F);
            assertThat(vcpu.fpu.mxcsr()).isEqualTo(0x1F80);
            assertThat(vcpu.regs.rip()).isEqualTo(16 * MIB + 0x200);
            assertThat(vcpu.regs.rsi()).isEqualTo(0x7000);
            assertThat(vcpu.sregs.cr3()).isEqualTo(0x9000);
            assertThat(vcpu.sregs.efer()).isEqualTo(0x500);
            assertThat(vcpu.sregs.apicBase()).isEqualTo(0xFEE00900L);
            assertThat(vcpu.lapic.register(0x350)).isEqualTo(0x10700);
            assertThat(vcpu.lapic.register(0x360)).isEqualTo(0x10400);
            assertThat(memory.readLong(0x508)).isEqualTo(0x00AF_9B00_0000_FFFFL);
            assertThat(memory.readLong(0x9000)).isEqualTo(0xA003);
            assertThat(memory.readLong(0xB008)).isEqualTo(0x20_0083);
        }
    }

    @Test
    void bootProcessorEntersPvhIn32BitModeWithoutPageTables() {
        RecordingVcpu vcpu = new RecordingVcpu();
        LoadedKernel pvh = new LoadedKernel(BootProtocol.PVH, 16 * MIB + 0x850, 16 * MIB, 20 * MIB, Optional.empty());
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            BootVcpu.configure(vcpu, memory, 0, 1, pvh, SUPPORTED);

            assertThat(vcpu.calls).containsExactly("cpuid", "msrs", "fpu", "regs", "sregs", "lapic");
            assertThat(vcpu.regs.rip()).isEqualTo(16 * MIB + 0x850);
            assertThat(vcpu.regs.rbx()).isEqualTo(0x6000);
            assertThat(vcpu.sregs.cr0()).isEqualTo(0x11);
            assertThat(vcpu.sregs.cs().db()).isTrue();
            assertThat(memory.readLong(0x508)).isEqualTo(0x00CF_9B00_0000_FFFFL);
            assertThat(memory.readLong(0x9000)).as("no page tables for PVH").isZero();
        }
    }

    @Test
    void applicationProcessorsGetCpuidMsrsFpuAndLapicOnly() {
        RecordingVcpu vcpu = new RecordingVcpu();
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            BootVcpu.configure(vcpu, memory, 1, 2, linux(), SUPPORTED);

            assertThat(vcpu.calls).containsExactly("cpuid", "msrs", "fpu", "lapic");
            assertThat(vcpu.cpuid.get(0).ebx() >>> 24).as("APIC ID").isEqualTo(1);
            assertThat(vcpu.regs).isNull();
            assertThat(memory.readLong(0x508)).as("the BSP writes the GDT").isZero();
        }
    }
}
