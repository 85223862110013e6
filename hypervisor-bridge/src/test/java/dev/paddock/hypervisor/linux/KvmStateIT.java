package dev.paddock.hypervisor.linux;

import static dev.paddock.hypervisor.linux.TestGuest.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.HypervisorException;
import dev.paddock.hypervisor.x86.CpuidEntry;
import dev.paddock.hypervisor.x86.Fpu;
import dev.paddock.hypervisor.x86.LapicState;
import dev.paddock.hypervisor.x86.MpState;
import dev.paddock.hypervisor.x86.MsrEntry;
import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Sregs;
import dev.paddock.hypervisor.x86.VcpuEvents;
import dev.paddock.hypervisor.x86.Xcrs;
import dev.paddock.hypervisor.x86.Xsave;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every vCPU/VM state accessor a snapshot needs, set and read back on the real /dev/kvm. */
class KvmStateIT {

    @Test
    void capabilitiesPaddockNeedsArePresent() {
        try (Kvm kvm = Kvm.open()) {
            for (KvmCapability cap : List.of(KvmCapability.IRQCHIP, KvmCapability.IRQFD, KvmCapability.IOEVENTFD,
                    KvmCapability.PIT2, KvmCapability.IMMEDIATE_EXIT, KvmCapability.USER_MEMORY,
                    KvmCapability.MP_STATE, KvmCapability.VCPU_EVENTS, KvmCapability.XSAVE, KvmCapability.XCRS)) {
                kvm.requireCapability(cap);
            }
            assertThat(kvm.vcpuMmapSize()).isGreaterThanOrEqualTo(4096);
            assertThat(kvm.supportedCpuid()).anySatisfy(e -> assertThat(e.function()).isZero());
        }
    }

    @Test
    void vcpuStateRoundTrips() {
        try (TestGuest g = TestGuest.realMode(true, hex("f4"))) {
            KvmVcpu v = g.vcpu;
            g.vm.createPit2();

            Regs regs = v.regs().with(Regs.Register.RAX, 0x1122334455667788L).with(Regs.Register.R15, 42);
            v.setRegs(regs);
            assertThat(v.regs()).isEqualTo(regs);

            Sregs sregs = v.sregs();
            v.setSregs(sregs);
            assertThat(v.sregs()).isEqualTo(sregs);

            // FCW 0x27F: 53-bit precision instead of the reset value's 64, so the round trip is visible.
            v.setFpu(Fpu.resetState().withFcw(0x27F));
            assertThat(v.fpu().fcw()).isEqualTo(0x27F);

            int sysenterCs = 0x174;
            v.setMsrs(List.of(new MsrEntry(sysenterCs, 0x10)));
            assertThat(v.msrs(sysenterCs)).containsExactly(new MsrEntry(sysenterCs, 0x10));
            assertThatThrownBy(() -> v.msrs(0x0BAD_0000)).isInstanceOf(HypervisorException.class)
                    .hasMessageContaining("MSR 0xbad0000 is not supported");

            List<CpuidEntry> cpuid = g.kvm.supportedCpuid();
            v.setCpuid(cpuid);
            assertThat(v.cpuid()).hasSameSizeAs(cpuid).first().isEqualTo(cpuid.get(0));

            LapicState lapic = v.lapic().withRegister(LapicState.SPURIOUS_VECTOR, 0x1FF);
            v.setLapic(lapic);
            assertThat(v.lapic().register(LapicState.SPURIOUS_VECTOR)).isEqualTo(0x1FF);

            v.setMpState(MpState.RUNNABLE);
            assertThat(v.mpState()).isEqualTo(MpState.RUNNABLE);

            VcpuEvents events = v.events();
            v.setEvents(events);
            assertThat(v.events().exceptionInjected()).isFalse();

            Xsave xsave = v.xsave();
            v.setXsave(xsave);
            assertThat(v.xsave()).isEqualTo(xsave);

            Xcrs xcrs = v.xcrs();
            assertThat(xcrs.xcrs()).anySatisfy(x -> assertThat(x.xcr()).isZero()); // XCR0
            v.setXcrs(xcrs);
            assertThat(v.xcrs()).isEqualTo(xcrs);

            KvmClock clock = g.vm.clock();
            g.vm.setClock(new KvmClock(clock.clock() + 1_000_000_000L, 0, 0, 0));
            assertThat(g.vm.clock().clock()).isGreaterThanOrEqualTo(clock.clock() + 1_000_000_000L);

            g.vm.setIrqLine(4, true);
            g.vm.setIrqLine(4, false);
        }
    }

    @Test
    void dirtyLogListsThePagesTheGuestWrote() {
        // .code16: c6 06 00 50 01  movb $1, 0x5000 ; f4  hlt
        try (Kvm kvm = Kvm.open(); KvmVm vm = kvm.createVm();
                MmapGuestMemory ram = MmapGuestMemory.allocate(new long[] {0, 0x10000})) {
            vm.setTssAddress(TestGuest.TSS_ADDRESS);
            vm.setUserMemoryRegion(0, 0, 0x10000, ram.regions().get(0).hostAddress().getAsLong(), true);
            byte[] code = hex("c6 06 00 50 01 f4");
            ram.write(TestGuest.CODE, code, 0, code.length);
            try (KvmVcpu v = vm.createVcpu(0)) {
                v.setSregs(v.sregs().withSegments(dev.paddock.hypervisor.x86.Segment.realMode(0, true),
                        dev.paddock.hypervisor.x86.Segment.realMode(0, false)));
                v.setRegs(v.regs().with(Regs.Register.RIP, TestGuest.CODE).with(Regs.Register.RFLAGS, 2));
                vm.dirtyLog(0); // start from a clean log
                assertThat(v.run()).isInstanceOf(dev.paddock.hypervisor.VcpuExit.Hlt.class);
                long[] bitmap = vm.dirtyLog(0);
                assertThat(bitmap).hasSize(1);
                assertThat(bitmap[0] & (1L << 5)).as("page 0x5000 is dirty").isNotZero();
            }
            vm.deleteUserMemoryRegion(0);
        }
    }
}
