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

class ElfVmlinuxLoaderTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private Path write(byte[] bytes) throws IOException {
        return Files.write(dir.resolve("vmlinux"), bytes);
    }

    private static SyntheticImages.Elf kernel() {
        return new SyntheticImages.Elf()
                .load(16 * MIB, SyntheticImages.filled(0x1800, 1), 0x1800)
                .load(18 * MIB, SyntheticImages.filled(0x800, 2), 0x3000)
                .pvhNote(16 * MIB + 0x850, 8);
    }

    private static HeapGuestMemory dirtyMemory(long size) {
        HeapGuestMemory memory = HeapGuestMemory.ofSize(size);
        byte[] ones = new byte[(int) (4 * MIB)];
        Arrays.fill(ones, (byte) 0xAA);
        memory.write(16 * MIB, ones, 0, ones.length);
        return memory;
    }

    @Test
    void loadsSegmentsAtPhysicalAddressesZeroesBssAndFindsThePvhEntry() throws IOException {
        try (HeapGuestMemory memory = dirtyMemory(64 * MIB)) {
            LoadedKernel k = KernelImage.load(write(kernel().build()), memory);

            assertThat(k.protocol()).isEqualTo(BootProtocol.PVH);
            assertThat(k.entryAddress()).isEqualTo(16 * MIB + 0x850);
            assertThat(k.loadStart()).isEqualTo(16 * MIB);
            assertThat(k.loadEnd()).isEqualTo(18 * MIB + 0x3000);
            assertThat(k.setupHeader()).isEmpty();
            byte[] first = new byte[0x1800];
            memory.read(16 * MIB, first, 0, first.length);
            assertThat(first).isEqualTo(SyntheticImages.filled(0x1800, 1));
            byte[] second = new byte[0x800];
            memory.read(18 * MIB, second, 0, second.length);
            assertThat(second).isEqualTo(SyntheticImages.filled(0x800, 2));
            byte[] bss = new byte[0x2800];
            memory.read(18 * MIB + 0x800, bss, 0, bss.length);
            assertThat(bss).containsOnly(0);
            assertThat(memory.readByte(18 * MIB + 0x3000)).as("past bss untouched").isEqualTo((byte) 0xAA);
        }
    }

    @Test
    void fourByteEntryNoteIsAccepted() throws IOException {
        SyntheticImages.Elf elf = new SyntheticImages.Elf().load(16 * MIB, new byte[0x100], 0x100)
                .pvhNote(16 * MIB + 0x10, 4);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(32 * MIB)) {
            assertThat(ElfVmlinuxLoader.load(write(elf.build()), memory).entryAddress()).isEqualTo(16 * MIB + 0x10);
        }
    }

    @Test
    void noteFoundInSectionWhenNoPtNote() throws IOException {
        SyntheticImages.Elf elf = kernel();
        elf.notesAsSegment = false;
        elf.notesAsSection = true;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThat(ElfVmlinuxLoader.load(write(elf.build()), memory).entryAddress()).isEqualTo(16 * MIB + 0x850);
        }
    }

    @Test
    void missingNoteSaysToBootTheBzImage() throws IOException {
        SyntheticImages.Elf elf = new SyntheticImages.Elf().load(16 * MIB, new byte[0x100], 0x100)
                .rawNote("Xen", 6, "linux\0".getBytes())
                .rawNote("Xe", ElfVmlinuxLoader.XEN_ELFNOTE_PHYS32_ENTRY, new byte[8])
                .rawNote("GNU", 18, new byte[8]);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(32 * MIB)) {
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(elf.build()), memory))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("this vmlinux has no PVH entry note")
                    .hasMessageContaining("boot the bzImage instead");
            assertThat(memory.readByte(16 * MIB)).isZero();
        }
    }

    @Test
    void truncatedElfHeaderIsRejected() throws IOException {
        byte[] bytes = Arrays.copyOf(kernel().build(), 40);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> KernelImage.load(write(bytes), memory))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("the ELF header").hasMessageContaining("40 bytes");
        }
    }

    @Test
    void wrongMachineOrTypeIsRejected() throws IOException {
        SyntheticImages.Elf arm = kernel();
        arm.machine = 183;
        SyntheticImages.Elf dyn = kernel();
        dyn.type = 3;
        SyntheticImages.Elf elf32 = kernel();
        elf32.elfClass = 1;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(arm.build()), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("machine 183");
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(dyn.build()), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("ELF type 3");
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(elf32.build()), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("class 1");
        }
    }

    @Test
    void segmentBeyondTheFileIsRejectedBeforeAnythingIsWritten() throws IOException {
        SyntheticImages.Elf elf = kernel();
        elf.overrideFirstLoadOffset = 1L << 40;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(elf.build()), memory))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("PT_LOAD #0").hasMessageContaining("truncated or corrupt");
            assertThat(memory.readByte(18 * MIB)).isZero();
        }
    }

    @Test
    void segmentOutsideGuestRamIsRejected() throws IOException {
        SyntheticImages.Elf elf = new SyntheticImages.Elf()
                .load(16 * MIB, new byte[0x100], 0x100)
                .load(30 * MIB, new byte[0x100], 4 * MIB)
                .pvhNote(16 * MIB, 8);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(32 * MIB)) {
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(elf.build()), memory))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("PT_LOAD #1").hasMessageContaining("0x1e00000")
                    .hasMessageContaining("more memory");
        }
    }

    @Test
    void segmentWithOverflowingAddressIsRejected() throws IOException {
        SyntheticImages.Elf elf = new SyntheticImages.Elf()
                .load(0x7FFF_FFFF_FFFF_F000L, new byte[0x100], 0x2000)
                .pvhNote(16 * MIB, 8);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(32 * MIB)) {
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(elf.build()), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("PT_LOAD #0");
        }
    }

    @Test
    void segmentBelowOneMibIsRejected() throws IOException {
        SyntheticImages.Elf elf = new SyntheticImages.Elf().load(0x7000, new byte[0x100], 0x100).pvhNote(0x7000, 8);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(32 * MIB)) {
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(elf.build()), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("below 1 MiB");
        }
    }

    @Test
    void fileSizeLargerThanMemSizeIsRejected() throws IOException {
        SyntheticImages.Elf elf = new SyntheticImages.Elf().load(16 * MIB, new byte[0x200], 0x100)
                .pvhNote(16 * MIB, 8);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(32 * MIB)) {
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(elf.build()), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("p_filesz 0x200 larger than p_memsz 0x100");
        }
    }

    @Test
    void noteRunningPastItsAreaIsRejected() throws IOException {
        SyntheticImages.Elf elf = new SyntheticImages.Elf().load(16 * MIB, new byte[0x100], 0x100)
                .rawNote("Xen", 6, new byte[8]);
        byte[] bytes = elf.build();
        // Make the note's descsz claim far more than the area holds.
        int noteAt = indexOf(bytes, new byte[] {4, 0, 0, 0, 8, 0, 0, 0, 6, 0, 0, 0});
        bytes[noteAt + 4] = (byte) 0xF0;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(32 * MIB)) {
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(bytes), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("runs past the end of the note area");
        }
    }

    @Test
    void hugeNoteAreaIsRejected() throws IOException {
        SyntheticImages.Elf elf = kernel();
        elf.overrideNoteSize = 1L << 40;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(elf.build()), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("PT_NOTE #2");
        }
    }

    @Test
    void entryOutsideTheSegmentsIsRejected() throws IOException {
        SyntheticImages.Elf elf = new SyntheticImages.Elf().load(16 * MIB, new byte[0x100], 0x100)
                .pvhNote(20 * MIB, 8);
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(32 * MIB)) {
            assertThatThrownBy(() -> ElfVmlinuxLoader.load(write(elf.build()), memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("outside its loaded segments");
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }
}
