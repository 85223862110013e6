package dev.paddock.runtime.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InitrdLoaderTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private static LoadedKernel pvhKernel(long start, long end) {
        return new LoadedKernel(BootProtocol.PVH, start, start, end, Optional.empty());
    }

    private LoadedKernel bzKernel(HeapGuestMemory memory, long initrdAddrMax) throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.initrdAddrMax = initrdAddrMax;
        return KernelImage.load(Files.write(dir.resolve("bzImage"), image.build()), memory);
    }

    @Test
    void goesPageAlignedToTheTopOfLowRamAndIsCopied() throws IOException {
        byte[] data = SyntheticImages.filled(10_000, 4);
        Path file = Files.write(dir.resolve("initrd"), data);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            LoadedInitrd rd = InitrdLoader.load(file, memory, pvhKernel(16 * MIB, 20 * MIB));
            assertThat(rd.address()).isEqualTo((64 * MIB - 10_000) & ~0xFFFL).isEqualTo(64 * MIB - 3 * 4096);
            assertThat(rd.size()).isEqualTo(10_000);
            byte[] back = new byte[data.length];
            memory.read(rd.address(), back, 0, back.length);
            assertThat(back).isEqualTo(data);
        }
    }

    @Test
    void pageSizedInitrdEndsExactlyAtTheTop() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            LoadedInitrd rd = InitrdLoader.place(memory, pvhKernel(16 * MIB, 20 * MIB), 8192, "rd");
            assertThat(rd.end()).isEqualTo(64 * MIB);
        }
    }

    @Test
    void staysBelowInitrdAddrMax() throws IOException {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            LoadedKernel k = bzKernel(memory, 48 * MIB - 1);
            LoadedInitrd rd = InitrdLoader.place(memory, k, 4096, "rd");
            assertThat(rd.address()).isEqualTo(48 * MIB - 4096);
            assertThat(rd.end() - 1).isLessThanOrEqualTo(48 * MIB - 1);
        }
    }

    @Test
    void fitsExactlyBetweenKernelEndAndTop() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            LoadedInitrd rd = InitrdLoader.place(memory, pvhKernel(16 * MIB, 60 * MIB), 4 * MIB, "rd");
            assertThat(rd.address()).isEqualTo(60 * MIB);
        }
    }

    @Test
    void overlappingTheKernelIsAClearError() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> InitrdLoader.place(memory, pvhKernel(16 * MIB, 60 * MIB), 4 * MIB + 1, "rd.img"))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("rd.img").hasMessageContaining("4194305 bytes")
                    .hasMessageContaining("4194304 bytes are free").hasMessageContaining("0x3c00000")
                    .hasMessageContaining("more memory");
        }
    }

    @Test
    void largerThanAllOfRamIsAClearError() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> InitrdLoader.place(memory, pvhKernel(16 * MIB, 20 * MIB), 1L << 40, "big"))
                    .isInstanceOf(BootException.class).hasMessageContaining("big");
        }
    }

    @Test
    void emptyInitrdIsRejected() throws IOException {
        Path empty = Files.write(dir.resolve("empty"), new byte[0]);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> InitrdLoader.load(empty, memory, pvhKernel(16 * MIB, 20 * MIB)))
                    .isInstanceOf(BootException.class).hasMessageContaining("empty");
        }
    }
}
