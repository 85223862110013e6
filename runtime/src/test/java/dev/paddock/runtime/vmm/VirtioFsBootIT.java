package dev.paddock.runtime.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.runtime.virtio.block.BlockDeviceConfig;
import dev.paddock.runtime.virtio.fs.FsDeviceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 9, first in-VM check: Debian's cloud kernel (guest/test-image) loads fuse + virtiofs, finds our two virtio-fs
 * devices through ACPI and mounts them by tag. The read-only share's host file is read and a write to it fails with
 * EROFS ("Read-only file system"); on the writable share the guest writes, makes a directory, renames, makes and
 * reads through a symlink and removes it, and the host sees the result with the share owner's ownership.
 */
class VirtioFsBootIT {
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(240);

    @TempDir
    Path dir;

    @Test
    void theGuestMountsAReadOnlyAndAWritableShare() throws IOException, InterruptedException {
        BootTestImage image = BootTestImage.locate();
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Path rw = Files.createDirectory(dir.resolve("rw"));
        Files.writeString(ro.resolve("hello.txt"), "read-only hello from the host");
        Files.writeString(rw.resolve("hello.txt"), "writable hello from the host");

        ConsoleTranscript console = new ConsoleTranscript();
        List<VmStop> stops = new CopyOnWriteArrayList<>();
        CountDownLatch stopped = new CountDownLatch(1);
        VmListener listener = new VmListener() {
            @Override
            public void stopped(VmStop stop) {
                stops.add(stop);
                stopped.countDown();
            }
        };
        try (MicroVm vm = VmBuilder.create()
                .name("virtiofs-it")
                .memoryMiB(256).vcpus(2)
                .kernel(image.bzImage()).initrd(image.initramfs())
                .cmdline(image.cmdline() + " paddock.fs_ro=ro-share paddock.fs_rw=rw-share")
                .attachSerial(console)
                .attachI8042()
                .attachBlock(new BlockDeviceConfig(image.disk(), true, "paddock-test"))
                .attachRng()
                .attachFs(FsDeviceConfig.of("ro-share", ro, true))
                .attachFs(FsDeviceConfig.of("rw-share", rw, false))
                .listener(listener)
                .build()) {
            vm.start();
            boolean ended = stopped.await(BOOT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(ended).as("the guest ended within %s; console so far:%n%s", BOOT_TIMEOUT, console).isTrue();
        }
        String transcript = console.toString();
        assertThat(stops.get(0).reason()).as("how the guest ended; console:%n%s", transcript).isEqualTo(StopReason.GUEST_POWEROFF);
        List<String> results = console.results();
        System.out.println("VirtioFsBootIT: guest results: " + results);
        assertThat(results).as("the guest's results; console:%n%s", transcript)
                .contains("modules-loaded=7")
                .contains("fs-ro-share-read=read-only hello from the host")
                .anyMatch(r -> r.startsWith("fs-ro-share-write=refused") && r.contains("Read-only file system"))
                .contains("fs-rw-share-read=writable hello from the host")
                .contains("fs-rw-share-write=ok")
                .anyMatch(r -> r.startsWith("fs-rw-share-ops=written by the guest"))
                .anyMatch(r -> r.startsWith("fs-rw-share-ls=") && r.contains("dir") && r.contains("hello.txt"));
        try (var s = Files.list(ro)) {
            assertThat(s.map(p -> p.getFileName().toString())).as("nothing written to the read-only share").containsExactly("hello.txt");
        }
        assertThat(Files.readString(rw.resolve("dir/moved.txt"))).isEqualTo("written by the guest\n");
        assertThat(Files.exists(rw.resolve("from-guest.txt"))).isFalse();
        assertThat(Files.exists(rw.resolve("link"), java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
    }
}
