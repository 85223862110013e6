package dev.paddock.daemon.driver.microvm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The sandbox image every microVM sandbox boots, as guest/image/build.sh leaves it in
 * {@code $PADDOCK_STATE/images/current}: the Debian cloud kernel ({@code vmlinuz}), the initramfs whose
 * {@code /init} is the agent ({@code initramfs.cpio.gz}), the read-only root ({@code rootfs.ext4}, shared by all
 * sandboxes) and the kernel command line the agent needs ({@code cmdline}: {@code paddock.root=/dev/vda
 * paddock.state=/dev/vdb}, the console and reboot settings). docs/guest-image.md.
 *
 * @param directory where the files were found (for messages)
 */
public record SandboxImage(Path directory, Path kernel, Path initramfs, Path rootfs, String cmdline) {
    static final List<String> FILES = List.of("vmlinuz", "initramfs.cpio.gz", "rootfs.ext4", "cmdline");

    /** Reads {@code directory} (blocking); fails naming the missing file and how to build the image. */
    public static SandboxImage load(Path directory) throws IOException {
        for (String name : FILES) {
            Path p = directory.resolve(name);
            if (!Files.isReadable(p)) {
                throw new IOException("the sandbox image in " + directory + " has no readable " + name
                        + "; build it with guest/image/build.sh (as root, with PADDOCK_STATE set to the daemon's state"
                        + " directory) or point the daemon at a built one with --image DIR");
            }
        }
        String cmdline = Files.readString(directory.resolve("cmdline"), StandardCharsets.US_ASCII).strip();
        if (!cmdline.contains("paddock.root=") || !cmdline.contains("paddock.state=")) {
            throw new IOException(directory.resolve("cmdline") + " lacks paddock.root= or paddock.state= (\"" + cmdline
                    + "\"); it is not a Paddock sandbox image: rebuild it with guest/image/build.sh");
        }
        return new SandboxImage(directory, directory.resolve("vmlinuz").toRealPath(),
                directory.resolve("initramfs.cpio.gz").toRealPath(), directory.resolve("rootfs.ext4").toRealPath(),
                cmdline);
    }

    /** {@code $stateDir/images/current}, where build.sh links the image it built last. */
    public static Path defaultDirectory(Path stateDir) {
        return stateDir.resolve("images").resolve("current");
    }
}
