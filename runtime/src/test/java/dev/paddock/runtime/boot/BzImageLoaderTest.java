package dev.paddock.runtime.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BzImageLoaderTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path write(byte[] bytes) throws IOException {
        return Files.write(dir.resolve("bzImage"), bytes);
    }

    @Test
    void relocatableKernelGoesToPrefAddressAndEntersAt0x200() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        byte[] bytes = image.build();
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            LoadedKernel k = KernelImage.load(write(bytes), memory);

            assertThat(k.protocol()).isEqualTo(BootProtocol.LINUX_64);
            assertThat(k.loadStart()).isEqualTo(16 * MIB);
            assertThat(k.entryAddress()).isEqualTo(16 * MIB + 0x200);
            assertThat(k.loadEnd()).isEqualTo(16 * MIB + image.initSize);
            byte[] loaded = new byte[image.pmSize];
            memory.read(16 * MIB, loaded, 0, loaded.length);
            assertThat(loaded).isEqualTo(Arrays.copyOfRange(bytes, 3 * 512, bytes.length));
            SetupHeader h = k.setupHeader().orElseThrow();
            assertThat(h.version()).isEqualTo(0x020F);
            assertThat(h.bytes()).isEqualTo(Arrays.copyOfRange(bytes, 0x1F1, 0x26C));
        }
    }

    @Test
    void prefAddressThatDoesNotFitFallsBackToOneMibAlignedUp() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.initSize = 12 * MIB; // 16 MiB + 12 MiB > 24 MiB of RAM
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(24 * MIB)) {
            LoadedKernel k = BzImageLoader.load(write(image.build()), memory);
            assertThat(k.loadStart()).isEqualTo(2 * MIB);
            assertThat(k.entryAddress()).isEqualTo(2 * MIB + 0x200);
        }
    }

    @Test
    void misalignedPrefAddressIsNotUsed() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.prefAddress = 17 * MIB;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThat(BzImageLoader.load(write(image.build()), memory).loadStart()).isEqualTo(2 * MIB);
        }
    }

    @Test
    void nonRelocatableKernelLoadsAtItsLinkAddress() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.relocatable = false;
        image.prefAddress = MIB;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThat(BzImageLoader.load(write(image.build()), memory).loadStart()).isEqualTo(MIB);
        }
    }

    @Test
    void zeroSetupSectsMeansFour() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.setupSects = 0;
        byte[] bytes = image.build();
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            LoadedKernel k = BzImageLoader.load(write(bytes), memory);
            assertThat(k.setupHeader().orElseThrow().protectedModeOffset()).isEqualTo(5 * 512);
            assertThat(memory.readByte(16 * MIB)).isEqualTo(SyntheticImages.pattern(0));
            assertThat(memory.readByte(16 * MIB + 100)).isEqualTo(SyntheticImages.pattern(100));
        }
    }

    @Test
    void truncatedHeaderIsRejected() throws IOException {
        byte[] bytes = Arrays.copyOf(new SyntheticImages.BzImage().build(), 0x220);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> BzImageLoader.load(write(bytes), memory))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("544 bytes")
                    .hasMessageContaining("too short");
        }
    }

    @Test
    void badMagicIsRejected() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.magic = 0x12345678;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> KernelImage.load(write(image.build()), memory))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("0x12345678").hasMessageContaining("HdrS").hasMessageContaining("not a bzImage");
        }
    }

    @Test
    void oldProtocolIsRejected() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.version = 0x020B;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> BzImageLoader.load(write(image.build()), memory))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("protocol 2.11").hasMessageContaining("2.12 or later");
        }
    }

    @Test
    void kernelWithout64BitEntryIsRejected() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.xloadflags = 0x7E;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> BzImageLoader.load(write(image.build()), memory))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("no 64-bit entry point").hasMessageContaining("XLF_KERNEL_64");
        }
    }

    @Test
    void headerEndOutsideBootParamsIsRejected() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.headerEnd = 0x2A0;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> BzImageLoader.load(write(image.build()), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("ends at 0x2a0");
        }
    }

    @Test
    void kernelShorterThanSyssizeIsRejected() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.syssizeParagraphs = image.pmSize / 16 + 1;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> BzImageLoader.load(write(image.build()), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("truncated");
        }
    }

    @Test
    void setupSectorsBeyondTheFileAreRejected() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        byte[] bytes = image.build();
        bytes[0x1F1] = (byte) 200;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> BzImageLoader.load(write(bytes), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("200 setup sectors");
        }
    }

    @Test
    void guestTooSmallForInitSizeNamesBothNumbers() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.initSize = 40 * MIB;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(32 * MIB)) {
            assertThatThrownBy(() -> BzImageLoader.load(write(image.build()), memory))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("load address 0x200000")
                    .hasMessageContaining("init_size 0x2800000")
                    .hasMessageContaining("32 MiB")
                    .hasMessageContaining("more memory");
            assertThat(memory.readByte(2 * MIB)).as("nothing written").isZero();
        }
    }

    @Test
    void missingFileNamesThePath() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> KernelImage.load(dir.resolve("nope"), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("nope");
        }
    }
}
