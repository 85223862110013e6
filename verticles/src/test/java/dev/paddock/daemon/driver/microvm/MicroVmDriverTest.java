package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MicroVmDriverTest {
    @TempDir
    Path dir;

    @Test
    void hostnameIsTheNameWhenItIsAValidLabel() {
        assertThat(MicroVmDriver.hostname("web-1", "sb-0123")).isEqualTo("web-1");
        assertThat(MicroVmDriver.hostname("my_box", "sb-0123")).isEqualTo("sb-0123");
        assertThat(MicroVmDriver.hostname("-x", "sb-0123")).isEqualTo("sb-0123");
        assertThat(MicroVmDriver.hostname("a".repeat(64), "sb-0123")).isEqualTo("sb-0123");
        assertThat(MicroVmDriver.hostname(null, "sb-0123")).isEqualTo("sb-0123");
    }

    @Test
    void anImageWithoutItsFilesIsRefusedNamingTheFileAndTheBuild() throws IOException {
        Files.writeString(dir.resolve("vmlinuz"), "k");
        assertThatThrownBy(() -> SandboxImage.load(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("initramfs.cpio.gz").hasMessageContaining("guest/image/build.sh");
    }

    @Test
    void anImageIsReadWithItsCmdline() throws IOException {
        for (String f : SandboxImage.FILES) {
            Files.writeString(dir.resolve(f), "x");
        }
        Files.writeString(dir.resolve("cmdline"), "console=ttyS0 paddock.root=/dev/vda paddock.state=/dev/vdb\n");
        SandboxImage image = SandboxImage.load(dir);
        assertThat(image.cmdline()).isEqualTo("console=ttyS0 paddock.root=/dev/vda paddock.state=/dev/vdb");
        assertThat(image.rootfs()).isEqualTo(dir.resolve("rootfs.ext4").toRealPath());
        Files.writeString(dir.resolve("cmdline"), "console=ttyS0\n");
        assertThatThrownBy(() -> SandboxImage.load(dir)).hasMessageContaining("paddock.root=");
    }

    @Test
    void theStateDiskIsMadeOnceSparseAndKept() throws Exception {
        StateDisk.Created first = StateDisk.ensure(dir.resolve("sb"), 2);
        assertThat(first.fresh()).isTrue();
        assertThat(Files.size(first.path())).isEqualTo(2L << 30);
        // stat(1) %b: 512-byte blocks allocated (the JDK has no attribute for it).
        Process stat = new ProcessBuilder("stat", "-c", "%b", first.path().toString()).start();
        long allocated = Long.parseLong(new String(stat.getInputStream().readAllBytes()).strip()) * 512;
        assertThat(allocated).as("sparse: mkfs wrote only metadata").isLessThan(256L << 20);
        Files.writeString(dir.resolve("sb/marker"), "kept");
        StateDisk.Created again = StateDisk.ensure(dir.resolve("sb"), 8);
        assertThat(again.fresh()).isFalse();
        assertThat(Files.size(again.path())).as("an existing disk is never remade or resized").isEqualTo(2L << 30);
        assertThat(Files.exists(dir.resolve("sb/state.ext4.tmp"))).isFalse();
    }
}
