package dev.paddock.hypervisor.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** {@code /proc/meminfo} (proc(5)): the memory the kernel says is available for new work. */
public final class MemInfo {
    public static final Path PROC_MEMINFO = Path.of("/proc/meminfo");

    private MemInfo() {
    }

    /** {@code MemAvailable} in KiB, or empty when the text has no such line (kernels before 3.14) or it is garbled. */
    public static OptionalLong availableKiB(String meminfo) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith("MemAvailable:")) {
                String[] f = line.trim().split("\\s+");
                try {
                    return f.length >= 2 ? OptionalLong.of(Long.parseLong(f[1])) : OptionalLong.empty();
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /** {@link #availableKiB(String)} of a file; an unreadable file throws. */
    public static OptionalLong availableKiB(Path meminfo) throws IOException {
        return availableKiB(Files.readString(meminfo));
    }
}
