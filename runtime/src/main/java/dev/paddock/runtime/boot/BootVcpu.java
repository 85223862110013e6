package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.linux.KvmVcpu;
import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.x86.CpuidEntry;
import dev.paddock.hypervisor.x86.Fpu;
import dev.paddock.hypervisor.x86.LapicState;
import dev.paddock.hypervisor.x86.MsrEntry;
import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Sregs;
import dev.paddock.runtime.arch.x86.BootMsrs;
import dev.paddock.runtime.arch.x86.EntryState;
import dev.paddock.runtime.arch.x86.Gdt;
import dev.paddock.runtime.arch.x86.GuestCpuid;
import dev.paddock.runtime.arch.x86.IdentityPageTables;
import dev.paddock.runtime.arch.x86.Layout;
import dev.paddock.runtime.arch.x86.LocalApic;
import java.util.List;

/**
 * Puts a vCPU in its boot state for a loaded kernel, in the order KVM needs: CPUID first (it decides which MSRs
 * and features the later calls may use), then MSRs, FPU, general registers, special registers, LAPIC.
 *
 * <p>The boot processor (index 0) also gets its GDT, IDT and, for the 64-bit entry, the identity page tables
 * written to guest memory, and its registers set to enter the kernel. Application processors get only CPUID,
 * MSRs, FPU and LAPIC: with the in-kernel irqchip KVM holds them in the wait-for-SIPI state until the kernel
 * starts them with INIT/SIPI, which sets their registers.
 */
public final class BootVcpu {

    /** The vCPU state calls this class makes; {@link KvmVcpu} provides them, and tests record them. */
    public interface Target {
        void setCpuid(List<CpuidEntry> entries);

        void setMsrs(List<MsrEntry> entries);

        void setFpu(Fpu fpu);

        void setRegs(Regs regs);

        Sregs sregs();

        void setSregs(Sregs sregs);

        LapicState lapic();

        void setLapic(LapicState lapic);
    }

    private BootVcpu() {}

    public static Target of(KvmVcpu vcpu) {
        return new Target() {
            @Override public void setCpuid(List<CpuidEntry> entries) {
                vcpu.setCpuid(entries);
            }

            @Override public void setMsrs(List<MsrEntry> entries) {
                vcpu.setMsrs(entries);
            }

            @Override public void setFpu(Fpu fpu) {
                vcpu.setFpu(fpu);
            }

            @Override public void setRegs(Regs regs) {
                vcpu.setRegs(regs);
            }

            @Override public Sregs sregs() {
                return vcpu.sregs();
            }

            @Override public void setSregs(Sregs sregs) {
                vcpu.setSregs(sregs);
            }

            @Override public LapicState lapic() {
                return vcpu.lapic();
            }

            @Override public void setLapic(LapicState lapic) {
                vcpu.setLapic(lapic);
            }
        };
    }

    /**
     * Configures vCPU {@code index} of {@code vcpuCount} for {@code kernel}; {@code supportedCpuid} is
     * {@code Kvm.supportedCpuid()}.
     */
    public static void configure(KvmVcpu vcpu, GuestMemory memory, int index, int vcpuCount, LoadedKernel kernel,
                                 List<CpuidEntry> supportedCpuid) {
        configure(of(vcpu), memory, index, vcpuCount, kernel, supportedCpuid);
    }

    public static void configure(Target vcpu, GuestMemory memory, int index, int vcpuCount, LoadedKernel kernel,
                                 List<CpuidEntry> supportedCpuid) {
        vcpu.setCpuid(GuestCpuid.forVcpu(supportedCpuid, index, vcpuCount));
        vcpu.setMsrs(BootMsrs.entries());
        vcpu.setFpu(Fpu.resetState());
        if (index == 0) {
            switch (kernel.protocol()) {
                case LINUX_64 -> {
                    Gdt.longMode().write(memory);
                    IdentityPageTables.write(memory);
                    vcpu.setRegs(EntryState.longModeRegs(kernel.entryAddress(), Layout.ZERO_PAGE));
                    vcpu.setSregs(EntryState.longModeSregs(vcpu.sregs()));
                }
                case PVH -> {
                    Gdt.protectedMode().write(memory);
                    vcpu.setRegs(EntryState.protectedModeRegs(kernel.entryAddress(), Layout.PVH_INFO));
                    vcpu.setSregs(EntryState.protectedModeSregs(vcpu.sregs()));
                }
            }
        }
        vcpu.setLapic(LocalApic.withVirtualWire(vcpu.lapic()));
    }
}
