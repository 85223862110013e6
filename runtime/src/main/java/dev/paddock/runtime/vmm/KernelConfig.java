package dev.paddock.runtime.vmm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A Linux kernel to boot (a bzImage, or an ELF vmlinux with a PVH note), an optional initramfs, and the kernel
 * command line. The files are checked when the VM is built, not here, so a config can be written before them.
 */
public record KernelConfig(Path kernel, Optional<Path> initrd, String cmdline) implements BootSource {
    /** Room for the terminating NUL in the cmdline area (Layout.CMDLINE_MAX). */
    static final int MAX_CMDLINE_BYTES = dev.paddock.runtime.arch.x86.Layout.CMDLINE_MAX - 1;

    public KernelConfig {
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(cmdline, "cmdline");
        int bytes = cmdline.getBytes(java.nio.charset.StandardCharsets.US_ASCII).length;
        if (bytes > MAX_CMDLINE_BYTES) {
            throw new VmConfigException("the kernel command line is %d bytes; at most %d fit"
                    .formatted(bytes, MAX_CMDLINE_BYTES));
        }
        if (!cmdline.chars().allMatch(c -> c >= 0x20 && c < 0x7F)) {
            throw new VmConfigException("the kernel command line must be printable ASCII: \"" + cmdline + "\"");
        }
    }

    /** Throws naming the file and the fix when the kernel or initrd is missing or unreadable. */
    void checkFiles() {
        checkFile("kernel", kernel);
        initrd.ifPresent(p -> checkFile("initrd", p));
    }

    private static void checkFile(String what, Path p) {
        if (!Files.exists(p)) {
            throw new VmConfigException("%s file %s does not exist; give the path of a %s".formatted(what,
                    p.toAbsolutePath(), what.equals("kernel") ? "bzImage or PVH vmlinux" : "initramfs (cpio, may be compressed)"));
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new VmConfigException("%s file %s is not a readable regular file".formatted(what, p.toAbsolutePath()));
        }
    }
}
