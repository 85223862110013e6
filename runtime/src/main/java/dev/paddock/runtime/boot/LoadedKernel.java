package dev.paddock.runtime.boot;

import java.util.Objects;
import java.util.Optional;

/**
 * A kernel placed in guest memory.
 *
 * @param protocol     how to enter it
 * @param entryAddress guest-physical entry point (64-bit entry for {@link BootProtocol#LINUX_64}, the 32-bit
 *                     PVH entry for {@link BootProtocol#PVH})
 * @param loadStart    first guest-physical byte the kernel owns
 * @param loadEnd      one past the last byte it owns: for a bzImage {@code load address + init_size} (room it
 *                     decompresses into), for an ELF the end of its highest PT_LOAD including bss. Nothing else
 *                     (the initrd in particular) may be placed in [loadStart, loadEnd).
 * @param setupHeader  the bzImage setup header, copied into the zero page; empty for an ELF vmlinux
 */
public record LoadedKernel(BootProtocol protocol, long entryAddress, long loadStart, long loadEnd,
                           Optional<SetupHeader> setupHeader) {
    public LoadedKernel {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(setupHeader, "setupHeader");
        if (loadStart < 0 || loadEnd <= loadStart) {
            throw new IllegalArgumentException("kernel range [0x%x, 0x%x) is empty".formatted(loadStart, loadEnd));
        }
        if (protocol == BootProtocol.LINUX_64 && setupHeader.isEmpty()) {
            throw new IllegalArgumentException("a LINUX_64 kernel needs its bzImage setup header for the zero page");
        }
    }
}
