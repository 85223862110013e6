package dev.paddock.runtime.vmm;

import dev.paddock.hypervisor.linux.KvmVcpu;
import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.x86.CpuidEntry;
import dev.paddock.runtime.acpi.AcpiConfig;
import dev.paddock.runtime.acpi.AcpiTables;
import dev.paddock.runtime.acpi.VirtioMmioSlot;
import dev.paddock.runtime.boot.BootParams;
import dev.paddock.runtime.boot.BootVcpu;
import dev.paddock.runtime.boot.KernelImage;
import dev.paddock.runtime.boot.LoadedKernel;
import java.util.List;

/**
 * The last setup steps of a Linux guest, after devices are wired: ACPI tables describing exactly the devices
 * attached, the kernel (bzImage or PVH vmlinux, by magic), boot parameters with cmdline and initrd, then each
 * vCPU's boot state (docs/boot.md). The boot vCPU gets entry registers; APs only CPUID, MSRs, FPU and LAPIC:
 * with the in-kernel irqchip they wait for INIT/SIPI (KVM_MP_STATE_UNINITIALIZED, kvm x86.c) and start when
 * the kernel brings them up through its LAPIC.
 */
final class LinuxBoot {
    private LinuxBoot() {
    }

    static void load(GuestMemory memory, List<KvmVcpu> vcpus, List<CpuidEntry> supportedCpuid, KernelConfig config,
            List<VirtioMmioSlot> virtioSlots, boolean com1, boolean i8042, Phases phases) {
        AcpiTables.write(memory, new AcpiConfig(vcpus.size(), virtioSlots, com1, i8042, true));
        phases.done("acpi");
        LoadedKernel kernel = KernelImage.load(config.kernel(), memory);
        phases.done("kernel");
        BootParams.write(memory, kernel, config.cmdline(), config.initrd());
        phases.done("initrd+params");
        for (int i = 0; i < vcpus.size(); i++) {
            BootVcpu.configure(vcpus.get(i), memory, i, vcpus.size(), kernel, supportedCpuid);
        }
        phases.done("vcpu-state");
    }

    /** Told when each step is done, for {@link MicroVm#buildPhases()}. */
    @FunctionalInterface
    interface Phases {
        void done(String step);
    }
}
