package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.nio.file.Path;

/**
 * Places an initrd page-aligned at the top of low RAM (below the MMIO hole and, for a bzImage, below its
 * {@code initrd_addr_max}) and above the kernel's [loadStart, loadEnd), as boot.rst suggests ("as high as
 * possible"), so the kernel's decompression and early allocations stay clear of it.
 */
public final class InitrdLoader {
    static final long PAGE = 4096;

    private InitrdLoader() {}

    public static LoadedInitrd load(Path initrd, GuestMemory memory, LoadedKernel kernel) {
        try (ImageFile file = ImageFile.open(initrd, "initrd")) {
            LoadedInitrd placed = place(memory, kernel, file.size(), initrd.toString());
            file.copyTo(memory, placed.address(), 0, placed.size(), "the initrd");
            return placed;
        }
    }

    /** Where an initrd of {@code size} bytes goes; throws naming the sizes when it does not fit. */
    static LoadedInitrd place(GuestMemory memory, LoadedKernel kernel, long size, String name) {
        if (size <= 0) {
            throw new BootException("initrd %s is empty; pass a cpio archive or leave the initrd out".formatted(name));
        }
        long top = GuestRam.lowRamLimit(memory);
        String topWhy = "the end of low RAM";
        if (kernel.setupHeader().isPresent()) {
            long max = kernel.setupHeader().get().initrdAddrMax();
            if (max + 1 < top) {
                top = max + 1;
                topWhy = "the kernel's initrd_addr_max 0x%x".formatted(max);
            }
        }
        long floor = Math.max(kernel.loadEnd(), Layout.HIMEM_START);
        long address = (top - size) & -PAGE;
        if (size > top || address < floor) {
            throw new BootException(("initrd %s is %d bytes but only %d bytes are free between the kernel's end 0x%x and "
                    + "%s (0x%x); give the VM more memory or use a smaller initrd")
                    .formatted(name, size, Math.max(0, top - floor), floor, topWhy, top));
        }
        GuestRam.requireRam(memory, address, size, "initrd " + name);
        return new LoadedInitrd(address, size);
    }
}
