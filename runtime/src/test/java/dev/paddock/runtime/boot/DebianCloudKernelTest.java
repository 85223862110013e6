package dev.paddock.runtime.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The loaders against the kernel Paddock actually boots: Debian's linux-image-cloud-amd64, fetched with apt into
 * target/ once and reused. A machine where apt cannot fetch it fails here with the reason; it never skips.
 */
class DebianCloudKernelTest {
    private static final long MIB = 1 << 20;
    private static final String METAPACKAGE = "linux-image-cloud-amd64";
    private static final Path CACHE = Path.of("target", "debian-cloud-kernel").toAbsolutePath();
    /** The other engineer's image build extracts vmlinux with this script; the test uses the same one. */
    private static final Path EXTRACT_VMLINUX = Path.of("..", "guest", "kernel", "extract-vmlinux.sh")
            .toAbsolutePath().normalize();

    private static Path bzImage;
    private static Path packageRoot;

    @BeforeAll
    static void fetchKernel() throws Exception {
        String depends = run(CACHE.getParent(), "apt-cache", "depends", METAPACKAGE);
        Matcher m = Pattern.compile("Depends: (linux-image-[0-9][^\\s]*-cloud-amd64)").matcher(depends);
        if (!m.find()) {
            fail("apt cannot resolve " + METAPACKAGE + " to a kernel package (apt-cache depends said:\n" + depends
                    + ")\nRun 'apt-get update' (as root) so apt knows Debian's kernel packages, then rerun.");
        }
        String pkg = m.group(1);
        Path dir = CACHE.resolve(pkg);
        packageRoot = dir.resolve("root");
        if (!Files.exists(dir.resolve(".extracted"))) {
            Files.createDirectories(dir);
            run(dir, "apt-get", "download", pkg);
            Path deb;
            try (Stream<Path> s = Files.list(dir)) {
                deb = s.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst().orElseThrow(
                        () -> new AssertionError("apt-get download " + pkg + " left no .deb in " + dir));
            }
            run(dir, "dpkg-deb", "-x", deb.toString(), packageRoot.toString());
            Files.delete(deb);
            Files.createFile(dir.resolve(".extracted"));
        }
        String version = pkg.substring("linux-image-".length());
        bzImage = packageRoot.resolve("boot").resolve("vmlinuz-" + version);
        assertThat(bzImage).as("the kernel package's bzImage").isRegularFile();
    }

    @Test
    void realBzImageParsesAsARelocatable64BitProtocol215Kernel() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(128 * MIB)) {
            LoadedKernel k = KernelImage.load(bzImage, memory);

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
            assertThatThrownBy(() -> KernelImage.load(bzImage, memory))
                    .isInstanceOf(BootException.class).hasMessageContaining("init_size").hasMessageContaining("32 MiB");
        }
    }

    @Test
    void extractedVmlinuxHasAPvhEntryNote() throws Exception {
        if (run(CACHE.getParent(), "sh", "-c", "command -v lz4 || echo MISSING").contains("MISSING")) {
            fail("'lz4' is missing, so the vmlinux cannot be extracted from the bzImage for the PVH check. "
                    + "Install it with: apt-get install lz4");
        }
        Path vmlinux = packageRoot.getParent().resolve("vmlinux");
        if (!Files.exists(vmlinux)) {
            run(CACHE, EXTRACT_VMLINUX.toString(), bzImage.toString(), vmlinux.toString());
        }
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(128 * MIB)) {
            LoadedKernel k = KernelImage.load(vmlinux, memory);

            assertThat(k.protocol()).isEqualTo(BootProtocol.PVH);
            assertThat(k.loadStart()).isEqualTo(16 * MIB);
            assertThat(k.entryAddress()).isBetween(k.loadStart(), k.loadEnd() - 1);
            assertThat(k.entryAddress()).isLessThan(1L << 32);
            assertThat(memory.readInt(k.loadStart())).as("the kernel's first bytes are loaded").isNotZero();
        }
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process p = new ProcessBuilder(List.of(command)).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 5 minutes");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail("'%s' in %s failed with exit status %d; Debian's cloud kernel is needed for this test. Output:%n%s%n"
                    .formatted(String.join(" ", command), dir, p.exitValue(), text)
                    + "Check apt's sources and network (apt-get update), then rerun.");
        }
        return text;
    }
}
