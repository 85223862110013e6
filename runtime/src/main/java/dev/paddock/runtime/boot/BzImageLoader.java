package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Loads a bzImage's protected-mode kernel for the 64-bit Linux boot protocol (Documentation/arch/x86/boot.rst,
 * "Loading The Rest of The Kernel" and "64-bit Boot Protocol").
 *
 * <p>Where it goes: a relocatable kernel at {@code pref_address} when that is aligned and [pref_address,
 * +init_size) fits in low RAM, otherwise at 1 MiB rounded up to {@code kernel_alignment}. A non-relocatable
 * kernel decompresses to its link address (= pref_address) whatever its load address, so it is loaded there.
 * The 64-bit entry is load address + 0x200.
 */
public final class BzImageLoader {
    /** boot.rst: "the 64-bit entry point is at offset 0x200 from the start of the protected-mode kernel". */
    public static final long ENTRY_64_OFFSET = 0x200;
    /** Enough of the file for the longest setup header struct boot_params can hold. */
    private static final int HEADER_PREFIX = SetupHeader.MAX_END;

    private BzImageLoader() {}

    public static LoadedKernel load(Path bzImage, GuestMemory memory) {
        try (ImageFile file = ImageFile.open(bzImage, "bzImage")) {
            return load(file, memory);
        }
    }

    static LoadedKernel load(ImageFile file, GuestMemory memory) {
        String source = "bzImage " + file.path();
        byte[] prefix = file.read(0, (int) Math.min(HEADER_PREFIX, file.size()), "the setup header");
        SetupHeader header = SetupHeader.parse(prefix, source);

        long pmOffset = header.protectedModeOffset();
        if (pmOffset >= file.size()) {
            throw new BootException("%s declares %d setup sectors, so its kernel starts at 0x%x, but the file has only "
                    .formatted(source, header.setupSects(), pmOffset) + "%d bytes; the file is truncated"
                    .formatted(file.size()));
        }
        long pmSize = file.size() - pmOffset;
        if (pmSize < header.syssizeBytes()) {
            throw new BootException("%s declares a %d-byte protected-mode kernel (syssize) but only %d bytes follow the "
                    .formatted(source, header.syssizeBytes(), pmSize) + "setup code; the file is truncated");
        }
        long initSize = header.initSize();
        if (initSize < pmSize) {
            throw new BootException("%s: init_size 0x%x is smaller than its own %d-byte kernel; the header is corrupt"
                    .formatted(source, initSize, pmSize));
        }

        long loadAddress = loadAddress(header, memory, source);
        GuestRam.requireRam(memory, loadAddress, initSize,
                "%s (load address 0x%x + init_size 0x%x)".formatted(source, loadAddress, initSize));
        file.copyTo(memory, loadAddress, pmOffset, pmSize, "the protected-mode kernel");
        return new LoadedKernel(BootProtocol.LINUX_64, loadAddress + ENTRY_64_OFFSET, loadAddress,
                loadAddress + initSize, Optional.of(header));
    }

    private static long loadAddress(SetupHeader header, GuestMemory memory, String source) {
        long pref = header.prefAddress();
        if (!header.relocatable()) {
            if (pref < Layout.HIMEM_START) {
                throw new BootException("%s is not relocatable and its pref_address 0x%x is below 1 MiB; the header is "
                        .formatted(source, pref) + "corrupt");
            }
            return pref;
        }
        long align = header.kernelAlignment();
        if (align == 0 || Long.bitCount(align) != 1 || align > Layout.MMIO_HOLE_START) {
            throw new BootException("%s has kernel_alignment 0x%x; it must be a power of two (2 MiB for x86_64 kernels)"
                    .formatted(source, align));
        }
        long limit = GuestRam.lowRamLimit(memory);
        boolean prefFits = pref >= Layout.HIMEM_START && pref % align == 0 && pref <= limit
                && header.initSize() <= limit - pref;
        return prefFits ? pref : alignUp(Layout.HIMEM_START, align);
    }

    static long alignUp(long value, long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
