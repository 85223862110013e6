package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The kernel command line as the guest will read it: ASCII, no NUL inside, written NUL-terminated at
 * {@link Layout#CMDLINE}. Its length is checked against the kernel's own {@code cmdline_size} (bzImage) and
 * the space the layout reserves ({@link Layout#CMDLINE_MAX}, terminator included).
 */
public record KernelCmdline(String text) {
    public KernelCmdline {
        Objects.requireNonNull(text, "text");
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0 || c > 0x7E || (c < 0x20 && c != '\t' && c != '\n')) {
                throw new BootException("kernel command line has character U+%04X at index %d; use printable ASCII "
                        .formatted((int) c, i) + "(the kernel parses it as bytes, and NUL would end it)");
            }
        }
    }

    public static KernelCmdline of(String text) {
        return new KernelCmdline(text);
    }

    /** Length in bytes, without the terminating NUL. */
    public int length() {
        return text.length();
    }

    /**
     * Writes the line NUL-terminated at {@link Layout#CMDLINE}. {@code kernelLimit} is the most bytes (without
     * NUL) the kernel accepts: the bzImage's cmdline_size, or {@link Long#MAX_VALUE} when it does not say.
     */
    public void write(GuestMemory memory, long kernelLimit) {
        long limit = Math.min(kernelLimit, Layout.CMDLINE_MAX - 1L);
        if (length() > limit) {
            throw new BootException("kernel command line is %d bytes; at most %d fit (%s); shorten it"
                    .formatted(length(), limit, kernelLimit < Layout.CMDLINE_MAX - 1L
                            ? "the kernel's cmdline_size" : "Layout.CMDLINE_MAX less the NUL"));
        }
        byte[] bytes = (text + "\0").getBytes(StandardCharsets.US_ASCII);
        GuestRam.requireRam(memory, Layout.CMDLINE, bytes.length, "the kernel command line");
        memory.write(Layout.CMDLINE, bytes, 0, bytes.length);
    }
}
