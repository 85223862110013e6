package dev.paddock.runtime.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.x86.CpuidEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

class GuestCpuidTest {
    static final int INDEXED = 1; // KVM_CPUID_FLAG_SIGNIFCANT_INDEX

    /** A supported-CPUID list shaped like KVM's on an Intel host. */
    static List<CpuidEntry> supported() {
        return List.of(
                new CpuidEntry(0x0, 0, 0, 0x1F, 0x756E6547, 0x6C65746E, 0x49656E69),
                new CpuidEntry(0x1, 0, 0, 0x000806F8, 0x00000800, 0x77FAF3FF, 0xBFEBFBFF & ~(1 << 28)),
                new CpuidEntry(0x4, 0, INDEXED, 0x1C004121, 0x02C0003F, 0x3F, 0),
                new CpuidEntry(0x4, 1, INDEXED, 0x1C004122, 0x01C0003F, 0x3F, 0),
                new CpuidEntry(0x4, 2, INDEXED, 0x1C004143, 0x03C0003F, 0x7FF, 0),
                new CpuidEntry(0x4, 3, INDEXED, 0x1C03C163, 0x0380003F, 0xFFFF, 4),
                new CpuidEntry(0x4, 4, INDEXED, 0, 0, 0, 0),
                new CpuidEntry(0xB, 0, INDEXED, 1, 2, 0x100, 7),
                new CpuidEntry(0xB, 1, INDEXED, 7, 112, 0x201, 7),
                new CpuidEntry(0xB, 2, INDEXED, 0, 0, 2, 7),
                new CpuidEntry(0x1F, 0, INDEXED, 1, 2, 0x100, 7),
                new CpuidEntry(0x1F, 1, INDEXED, 7, 112, 0x201, 7),
                new CpuidEntry(0x40000000, 0, 0, 0x40000001, 0x4B4D564B, 0x564B4D56, 0x4D),
                new CpuidEntry(0x40000001, 0, 0, 0x01007AFB, 0, 0, 0),
                new CpuidEntry(0x80000001, 0, 0, 0, 0, 0x121, 0x2C100800));
    }

    private static CpuidEntry find(List<CpuidEntry> l, int function, int index) {
        return l.stream().filter(e -> e.function() == function && e.index() == index).findFirst().orElseThrow();
    }

    @Test
    void leafOneCarriesApicIdCountHypervisorAndHtt() {
        List<CpuidEntry> out = GuestCpuid.forVcpu(supported(), 2, 4);
        CpuidEntry l1 = find(out, 1, 0);
        assertThat(l1.ebx() >>> 24).as("APIC ID").isEqualTo(2);
        assertThat((l1.ebx() >>> 16) & 0xFF).as("logical processors").isEqualTo(4);
        assertThat(l1.ebx() & 0xFFFF).as("CLFLUSH size kept").isEqualTo(0x0800);
        assertThat(l1.ecx() & (1 << 31)).as("hypervisor bit").isNotZero();
        assertThat(l1.ecx() & ~(1 << 31)).isEqualTo(0x77FAF3FF);
        assertThat(l1.edx() & (1 << 28)).as("HTT").isNotZero();
        assertThat(l1.eax()).isEqualTo(0x000806F8);

        CpuidEntry single = find(GuestCpuid.forVcpu(supported(), 0, 1), 1, 0);
        assertThat(single.edx() & (1 << 28)).isZero();
        assertThat(single.ebx() >>> 16).isEqualTo(1);
    }

    @Test
    void extendedTopologyHasX2ApicIdAndOneCoreLevel() {
        List<CpuidEntry> out = GuestCpuid.forVcpu(supported(), 3, 6);
        for (int leaf : new int[] {0xB, 0x1F}) {
            CpuidEntry smt = find(out, leaf, 0);
            assertThat(smt.eax()).isZero();
            assertThat(smt.ebx()).isEqualTo(1);
            assertThat(smt.ecx()).isEqualTo(0x100);
            assertThat(smt.edx()).isEqualTo(3);
            CpuidEntry core = find(out, leaf, 1);
            assertThat(core.eax()).as("ceil(log2(6))").isEqualTo(3);
            assertThat(core.ebx()).isEqualTo(6);
            assertThat(core.ecx()).isEqualTo(0x201);
            assertThat(core.edx()).isEqualTo(3);
        }
        CpuidEntry end = find(out, 0xB, 2);
        assertThat(end.eax()).isZero();
        assertThat(end.ebx()).isZero();
        assertThat(end.ecx()).isEqualTo(2);
        assertThat(end.edx()).isEqualTo(3);
    }

    @Test
    void cacheLeafCountsCoresAndSharing() {
        List<CpuidEntry> out = GuestCpuid.forVcpu(supported(), 0, 4);
        CpuidEntry l1d = find(out, 4, 0);
        assertThat(l1d.eax() >>> 26).isEqualTo(3);
        assertThat((l1d.eax() >>> 14) & 0xFFF).isZero();
        assertThat(l1d.eax() & 0x3FFF).isEqualTo(0x0121);
        CpuidEntry l3 = find(out, 4, 3);
        assertThat((l3.eax() >>> 14) & 0xFFF).isEqualTo(3);
        assertThat(l3.eax() >>> 26).isEqualTo(3);
        assertThat(l3.edx()).isEqualTo(4);
        assertThat(find(out, 4, 4)).isEqualTo(new CpuidEntry(0x4, 4, INDEXED, 0, 0, 0, 0));
    }

    @Test
    void kvmAndUnrelatedLeavesPassThroughUntouched() {
        List<CpuidEntry> in = supported();
        List<CpuidEntry> out = GuestCpuid.forVcpu(in, 1, 2);
        assertThat(out).hasSameSizeAs(in);
        assertThat(find(out, 0x40000000, 0)).isEqualTo(find(in, 0x40000000, 0));
        assertThat(find(out, 0x40000001, 0)).isEqualTo(find(in, 0x40000001, 0));
        assertThat(find(out, 0x80000001, 0)).isEqualTo(find(in, 0x80000001, 0));
        assertThat(find(out, 0, 0)).isEqualTo(find(in, 0, 0));
    }

    @Test
    void rejectsImpossibleTopologies() {
        assertThatThrownBy(() -> GuestCpuid.forVcpu(supported(), 4, 4)).hasMessageContaining("vCPU index 4");
        assertThatThrownBy(() -> GuestCpuid.forVcpu(supported(), 0, 256)).hasMessageContaining("256");
        assertThatThrownBy(() -> GuestCpuid.forVcpu(supported(), 0, 0)).hasMessageContaining("vCPU count 0");
    }

    @Test
    void bitsForCounts() {
        assertThat(GuestCpuid.bitsFor(1)).isZero();
        assertThat(GuestCpuid.bitsFor(2)).isEqualTo(1);
        assertThat(GuestCpuid.bitsFor(4)).isEqualTo(2);
        assertThat(GuestCpuid.bitsFor(5)).isEqualTo(3);
        assertThat(GuestCpuid.bitsFor(255)).isEqualTo(8);
    }
}
