package dev.paddock.runtime.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The zero page and hvm_start_info byte layouts, checked at bootparam.h's and start_info.h's offsets. */
class BootParamsTest {
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    private LoadedKernel bzImage(HeapGuestMemory memory, SyntheticImages.BzImage image) throws IOException {
        return KernelImage.load(Files.write(dir.resolve("bzImage"), image.build()), memory);
    }

    private LoadedKernel vmlinux(HeapGuestMemory memory) throws IOException {
        byte[] elf = new SyntheticImages.Elf().load(16 * MIB, new byte[0x1000], 0x2000).pvhNote(16 * MIB + 0x40, 8)
                .build();
        return KernelImage.load(Files.write(dir.resolve("vmlinux"), elf), memory);
    }

    private Path initrd(int size) throws IOException {
        return Files.write(dir.resolve("initrd"), SyntheticImages.filled(size, 9));
    }

    private static ByteBuffer read(HeapGuestMemory memory, long gpa, int size) {
        byte[] out = new byte[size];
        memory.read(gpa, out, 0, size);
        return ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String cstring(HeapGuestMemory memory, long gpa) {
        StringBuilder sb = new StringBuilder();
        for (long a = gpa; memory.readByte(a) != 0; a++) {
            sb.append((char) memory.readByte(a));
        }
        return sb.toString();
    }

    @Test
    void zeroPageCarriesHeaderLoaderFieldsInitrdAndE820() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(128 * MIB)) {
            LoadedKernel k = bzImage(memory, image);
            BootParams params = BootParams.write(memory, k, "console=ttyS0 panic=1", Optional.of(initrd(10_000)));

            assertThat(params.address()).isEqualTo(Layout.ZERO_PAGE);
            LoadedInitrd rd = params.initrd().orElseThrow();
            ByteBuffer zp = read(memory, Layout.ZERO_PAGE, 4096);
            byte[] header = new byte[0x26C - 0x1F1];
            zp.get(0x1F1, header);
            byte[] expected = Arrays.copyOfRange(image.build(), 0x1F1, 0x26C);
            expected[0x210 - 0x1F1] = (byte) 0xFF;                      // type_of_loader
            ByteBuffer.wrap(expected).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(0x218 - 0x1F1, (int) rd.address())            // ramdisk_image
                    .putInt(0x21C - 0x1F1, 10_000)                        // ramdisk_size
                    .putInt(0x228 - 0x1F1, (int) Layout.CMDLINE);         // cmd_line_ptr
            assertThat(header).isEqualTo(expected);
            assertThat(zp.get(0x210) & 0xFF).isEqualTo(0xFF);
            assertThat(zp.getInt(0x228)).isEqualTo(0x20000);
            assertThat(zp.getInt(0x238)).as("cmdline_size stays the kernel's limit").isEqualTo(0x7FF);
            assertThat(zp.getLong(0x070)).as("acpi_rsdp_addr").isEqualTo(0xE0000);
            assertThat(zp.getInt(0x0C0)).as("ext_ramdisk_image").isZero();
            assertThat(zp.getInt(0x0C4)).as("ext_ramdisk_size").isZero();
            assertThat(zp.getInt(0x0C8)).as("ext_cmd_line_ptr").isZero();
            assertThat(zp.get(0x1E8)).as("e820_entries").isEqualTo((byte) 3);
            assertE820(zp, 0, 0, 0x9FC00, 1);
            assertE820(zp, 1, 0x9FC00, 0x60400, 2);
            assertE820(zp, 2, 0x100000, 127 * MIB, 1);
            assertThat(zp.getLong(0x2D0 + 3 * 20)).as("no fourth entry").isZero();
            assertThat(cstring(memory, Layout.CMDLINE)).isEqualTo("console=ttyS0 panic=1");
        }
    }

    private static void assertE820(ByteBuffer zp, int i, long addr, long size, int type) {
        int at = 0x2D0 + i * 20;
        assertThat(zp.getLong(at)).as("e820[%d].addr", i).isEqualTo(addr);
        assertThat(zp.getLong(at + 8)).as("e820[%d].size", i).isEqualTo(size);
        assertThat(zp.getInt(at + 16)).as("e820[%d].type", i).isEqualTo(type);
    }

    @Test
    void zeroPageWithoutInitrdLeavesRamdiskFieldsZero() throws IOException {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            byte[] junk = new byte[4096];
            Arrays.fill(junk, (byte) 0x5A);
            memory.write(Layout.ZERO_PAGE, junk, 0, junk.length);
            BootParams params = BootParams.write(memory, bzImage(memory, new SyntheticImages.BzImage()), "", Optional.empty());
            assertThat(params.initrd()).isEmpty();
            ByteBuffer zp = read(memory, Layout.ZERO_PAGE, 4096);
            assertThat(zp.getInt(0x218)).isZero();
            assertThat(zp.getInt(0x21C)).isZero();
            assertThat(zp.get(0)).as("the page was cleared first").isZero();
            assertThat(memory.readByte(Layout.CMDLINE)).isZero();
        }
    }

    @Test
    void pvhStartInfoHasMagicCmdlineRsdpMemmapAndModule() throws IOException {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            LoadedKernel k = vmlinux(memory);
            BootParams params = BootParams.write(memory, k, "root=/dev/vda", Optional.of(initrd(5000)));

            assertThat(params.address()).isEqualTo(Layout.PVH_INFO);
            LoadedInitrd rd = params.initrd().orElseThrow();
            ByteBuffer si = read(memory, Layout.PVH_INFO, 0x1000);
            assertThat(si.getInt(0)).as("magic").isEqualTo(0x336EC578);
            assertThat(si.getInt(4)).as("version").isEqualTo(1);
            assertThat(si.getInt(8)).as("flags").isZero();
            assertThat(si.getInt(12)).as("nr_modules").isEqualTo(1);
            assertThat(si.getLong(16)).as("modlist_paddr").isEqualTo(0x6040);
            assertThat(si.getLong(24)).as("cmdline_paddr").isEqualTo(0x20000);
            assertThat(si.getLong(32)).as("rsdp_paddr").isEqualTo(0xE0000);
            assertThat(si.getLong(40)).as("memmap_paddr").isEqualTo(0x6080);
            assertThat(si.getInt(48)).as("memmap_entries").isEqualTo(3);
            assertThat(si.getLong(0x40)).as("modlist[0].paddr").isEqualTo(rd.address());
            assertThat(si.getLong(0x48)).as("modlist[0].size").isEqualTo(5000);
            assertThat(si.getLong(0x50)).as("modlist[0].cmdline_paddr").isZero();
            long[][] expected = {{0, 0x9FC00, 1}, {0x9FC00, 0x60400, 2}, {0x100000, 63 * MIB, 1}};
            for (int i = 0; i < 3; i++) {
                int at = 0x80 + i * 24;
                assertThat(si.getLong(at)).as("memmap[%d].addr", i).isEqualTo(expected[i][0]);
                assertThat(si.getLong(at + 8)).as("memmap[%d].size", i).isEqualTo(expected[i][1]);
                assertThat(si.getInt(at + 16)).as("memmap[%d].type", i).isEqualTo((int) expected[i][2]);
                assertThat(si.getInt(at + 20)).as("memmap[%d].reserved", i).isZero();
            }
            assertThat(cstring(memory, Layout.CMDLINE)).isEqualTo("root=/dev/vda");
            assertThat(memory.readByte(Layout.ZERO_PAGE)).as("PVH writes no zero page").isZero();
        }
    }

    @Test
    void pvhWithoutInitrdHasNoModules() throws IOException {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            BootParams.write(memory, vmlinux(memory), "", Optional.empty());
            ByteBuffer si = read(memory, Layout.PVH_INFO, 64);
            assertThat(si.getInt(12)).isZero();
            assertThat(si.getLong(16)).isZero();
        }
    }

    @Test
    void cmdlineLongerThanTheKernelAllowsIsRejected() throws IOException {
        SyntheticImages.BzImage image = new SyntheticImages.BzImage();
        image.cmdlineSize = 16;
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            LoadedKernel k = bzImage(memory, image);
            BootParams.write(memory, k, "a".repeat(16), Optional.empty());
            assertThat(cstring(memory, Layout.CMDLINE)).hasSize(16);
            assertThatThrownBy(() -> BootParams.write(memory, k, "a".repeat(17), Optional.empty()))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("17 bytes").hasMessageContaining("at most 16")
                    .hasMessageContaining("cmdline_size");
        }
    }

    @Test
    void cmdlineLongerThanTheLayoutReservesIsRejected() throws IOException {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(64 * MIB)) {
            LoadedKernel k = vmlinux(memory);
            BootParams.write(memory, k, "x".repeat(Layout.CMDLINE_MAX - 1), Optional.empty());
            assertThat(memory.readByte(Layout.CMDLINE + Layout.CMDLINE_MAX - 1)).isZero();
            assertThatThrownBy(() -> BootParams.write(memory, k, "x".repeat(Layout.CMDLINE_MAX), Optional.empty()))
                    .isInstanceOf(BootException.class)
                    .hasMessageContaining("4096 bytes").hasMessageContaining("at most 4095");
        }
    }

    @Test
    void cmdlineWithNulOrNonAsciiIsRejected() {
        assertThatThrownBy(() -> KernelCmdline.of("a\0b"))
                .isInstanceOf(BootException.class).hasMessageContaining("U+0000 at index 1");
        assertThatThrownBy(() -> KernelCmdline.of("root=é"))
                .isInstanceOf(BootException.class).hasMessageContaining("U+00E9");
    }
}
