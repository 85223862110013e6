package dev.paddock.hypervisor.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Whether this process runs inside Paddock's own helper VM ("L1", the emulated accelerator: docs/accelerators.md).
 * cli's {@code QemuCommand} boots L1 with {@code paddock_port=} and {@code paddock_agent=} on its kernel command
 * line, which its init reads; no other kernel has both.
 *
 * <p>It matters twice. L1's {@code /dev/kvm} is the nested KVM that the emulated accelerator exists to provide, so
 * the accelerator probe must use it even when a busy L1 makes the timed loop slow. And L1 shares the host's state
 * directory read-write, so a {@code paddock rig} inside L1 would read the host's pid file, find no such process,
 * and delete the host's files: L1 must never start, stop or enter a helper VM.
 */
public final class HelperVmGuest {
    static final Path PROC_CMDLINE = Path.of("/proc/cmdline");

    private HelperVmGuest() {
    }

    /** True inside Paddock's helper VM (this kernel's command line). */
    public static boolean inside() {
        try {
            return inside(Files.readString(PROC_CMDLINE));
        } catch (IOException e) {
            return false; // no /proc: not Linux, so not our helper VM
        }
    }

    /** True when {@code cmdline} is the kernel command line of Paddock's helper VM. */
    public static boolean inside(String cmdline) {
        String[] words = cmdline.trim().split("\\s+");
        return Arrays.stream(words).anyMatch(w -> w.startsWith("paddock_port="))
                && Arrays.stream(words).anyMatch(w -> w.startsWith("paddock_agent="));
    }
}
