package dev.paddock.runtime.vmm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The boot test image that {@code guest/test-image/build.sh} builds into {@code ${PADDOCK_STATE:-~/.paddock}/test-image}
 * ({@code dev/test} builds it before the integration tests), and the known file its ext4 disk holds, read from the
 * source tree so the test and the image cannot drift apart.
 */
record BootTestImage(Path bzImage, Path pvhVmlinux, Path initramfs, Path disk, String cmdline, String knownFileContent) {
    private static final String SOURCE = "guest/test-image";

    static BootTestImage locate() {
        String state = System.getenv("PADDOCK_STATE");
        Path dir = (state != null && !state.isEmpty() ? Path.of(state) : Path.of(System.getProperty("user.home"), ".paddock"))
                .resolve("test-image");
        Path source = sourceDir();
        for (String name : List.of("vmlinuz", "vmlinux", "initramfs.cpio.gz", "disk.ext4", "cmdline")) {
            if (!Files.isReadable(dir.resolve(name))) {
                throw new IllegalStateException("the boot test image has no readable " + dir.resolve(name) + "; build it with "
                        + source.resolve("build.sh") + " (same PADDOCK_STATE; dev/test does this before the integration tests)");
            }
        }
        try {
            return new BootTestImage(dir.resolve("vmlinuz"), dir.resolve("vmlinux"), dir.resolve("initramfs.cpio.gz"),
                    dir.resolve("disk.ext4"), Files.readString(dir.resolve("cmdline")).strip(),
                    Files.readString(source.resolve("disk/paddock-known-file.txt")).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the boot test image in " + dir, e);
        }
    }

    /** guest/test-image in the source tree: Failsafe runs with the module directory as its working directory. */
    private static Path sourceDir() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(SOURCE))) {
                return p.resolve(SOURCE);
            }
        }
        throw new IllegalStateException("no " + SOURCE + " above " + Path.of("").toAbsolutePath()
                + "; run the integration tests from the Paddock source tree");
    }
}
