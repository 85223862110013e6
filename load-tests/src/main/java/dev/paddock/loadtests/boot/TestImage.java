package dev.paddock.loadtests.boot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The files {@code guest/test-image/build.sh} leaves in {@code ${PADDOCK_STATE:-$HOME/.paddock}/test-image/}: the
 * same kernel (bzImage or its ELF vmlinux for PVH), initramfs, disk and cmdline for every VMM under test.
 */
record TestImage(Path dir, Path bzImage, Path pvhVmlinux, Path initramfs, Path disk, String cmdline) {

    static TestImage in(Path dir) throws IOException {
        for (String name : List.of("vmlinuz", "vmlinux", "initramfs.cpio.gz", "disk.ext4", "cmdline")) {
            if (!Files.isReadable(dir.resolve(name))) {
                throw new IllegalStateException("the boot test image has no readable " + dir.resolve(name)
                        + "; build it on the host with guest/test-image/build.sh (same PADDOCK_STATE)");
            }
        }
        return new TestImage(dir, dir.resolve("vmlinuz"), dir.resolve("vmlinux"), dir.resolve("initramfs.cpio.gz"),
                dir.resolve("disk.ext4"), Files.readString(dir.resolve("cmdline")).strip());
    }

    /** A copy of the image's files in {@code target} (created if needed), e.g. on a tmpfs. */
    TestImage copyTo(Path target) throws IOException {
        Files.createDirectories(target);
        for (String name : List.of("vmlinuz", "vmlinux", "initramfs.cpio.gz", "disk.ext4", "cmdline")) {
            Files.copy(dir.resolve(name), target.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        return in(target);
    }

    /** Where build.sh puts it: {@code $PADDOCK_STATE/test-image}, else {@code ~/.paddock/test-image}. */
    static Path defaultDir() {
        String state = System.getenv("PADDOCK_STATE");
        Path base = state != null && !state.isEmpty() ? Path.of(state) : Path.of(System.getProperty("user.home"), ".paddock");
        return base.resolve("test-image");
    }

    Path kernel(KernelEntry entry) {
        return entry == KernelEntry.BZIMAGE ? bzImage : pvhVmlinux;
    }
}
