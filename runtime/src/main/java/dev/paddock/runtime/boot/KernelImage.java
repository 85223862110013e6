package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Loads a kernel of either kind, told apart by its bytes: an ELF vmlinux (magic 7F 'E' 'L' 'F', booted through
 * PVH) or a bzImage ("HdrS" at 0x202, booted through the 64-bit Linux boot protocol).
 */
public final class KernelImage {
    private KernelImage() {}

    public static LoadedKernel load(Path kernel, GuestMemory memory) {
        try (ImageFile file = ImageFile.open(kernel, "kernel")) {
            if (file.size() >= 4 && ByteBuffer.wrap(file.read(0, 4, "the file magic")).order(ByteOrder.LITTLE_ENDIAN)
                    .getInt() == 0x464C457F) {
                return ElfVmlinuxLoader.load(file, memory);
            }
            return BzImageLoader.load(file, memory);
        }
    }
}
