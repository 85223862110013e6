package dev.paddock.runtime.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The loaders against the kernel Paddock actually boots: Debian's linux-image-cloud-amd64 (fetched with apt). */
class DebianCloudKernelTest {
    private static final long MIB = 1 << 20;

    private static DebianCloudKernel kernel;

    @BeforeAll
    static void fetchKernel() throws Exception {
        kernel = DebianCloudKernel.fetch();
    }

    @Test
    void realBzImageParsesAsARelocatable64BitProtocol215Kernel() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(128 * MIB)) {
            LoadedKernel k = KernelImage.load(kernel.bzImage, memory);

            SetupHeader h = k.setupHeader().orElseThrow();
            assertThat(k.protocol()).isEqualTo(BootProtocol.LINUX_64);
            assertThat(h.version()).as("boot protocol").isEqualTo(0x020F);
            assertThat(h.relocatable()).isTrue();
            assertThat(h.prefAddress()).isEqualTo(16 * MIB);
            assertThat(h.kernelAlignment()).isEqualTo(2 * MIB);
            assertThat(h.xloadflags() & 1).as("XLF_KERNEL_64").isEqualTo(1);
            assertThat(k.loadStart()).isEqualTo(16 * MIB);
            assertThat(k.entryAddress()).isEqualTo(16 * MIB + 0x200);
            assertThat(k.loadEnd()).isEqualTo(16 * MIB + h.initSize());

            BootParams params = BootParams.write(memory, k, "console=ttyS0", Optional.empty());
            assertThat(memory.readInt(Layout.ZERO_PAGE + 0x202)).as("HdrS copied").isEqualTo(0x53726448);
            assertThat(params.address()).isEqualTo(Layout.ZERO_PAGE);
        }
    }

    @Test
    void realBzImageNeedsRamForInitSize() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(32 * MIB)) {
            assertThatThrownBy(() -> KernelImage.load(kernel.bzImage, memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("init_size").hasMessageContaining("32 MiB");
        }
    }

    @Test
    void extractedVmlinuxHasAPvhEntryNote() throws Exception {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(128 * MIB)) {
            LoadedKernel k = KernelImage.load(kernel.vmlinux(), memory);

            assertThat(k.protocol()).isEqualTo(BootProtocol.PVH);
            assertThat(k.loadStart()).isEqualTo(16 * MIB);
            assertThat(k.entryAddress()).isBetween(k.loadStart(), k.loadEnd() - 1);
            assertThat(k.entryAddress()).isLessThan(1L << 32);
            assertThat(memory.readInt(k.loadStart())).as("the kernel's first bytes are loaded").isNotZero();
        }
    }
}
