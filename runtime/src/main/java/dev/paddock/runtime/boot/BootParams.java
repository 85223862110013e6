package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything the kernel reads at entry besides its own image: the command line, the initrd and the boot
 * parameter block the protocol hands over (the zero page for {@link BootProtocol#LINUX_64}, hvm_start_info
 * for {@link BootProtocol#PVH}).
 *
 * @param address the guest-physical address of the parameter block: RSI for LINUX_64, EBX for PVH
 * @param initrd  where the initrd went, when there is one
 */
public record BootParams(long address, Optional<LoadedInitrd> initrd) {

    /** Writes the command line, loads the initrd (if any) and writes the protocol's parameter block. */
    public static BootParams write(GuestMemory memory, LoadedKernel kernel, String cmdline, Optional<Path> initrd) {
        return write(memory, kernel, KernelCmdline.of(cmdline), initrd);
    }

    public static BootParams write(GuestMemory memory, LoadedKernel kernel, KernelCmdline cmdline,
                                   Optional<Path> initrd) {
        long kernelLimit = kernel.setupHeader().map(SetupHeader::cmdlineSize).orElse(Long.MAX_VALUE);
        cmdline.write(memory, kernelLimit);
        Optional<LoadedInitrd> rd = initrd.map(path -> InitrdLoader.load(path, memory, kernel));
        return switch (kernel.protocol()) {
            case LINUX_64 -> {
                ZeroPage.write(memory, kernel, rd);
                yield new BootParams(Layout.ZERO_PAGE, rd);
            }
            case PVH -> {
                PvhStartInfo.write(memory, rd);
                yield new BootParams(Layout.PVH_INFO, rd);
            }
        };
    }
}
