package dev.paddock.cli.rig;

import dev.paddock.hypervisor.linux.MemInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Sizes the helper VM from the host's free memory: half of MemAvailable, at most {@value #MAX_MIB} MiB, and
 * never below {@value #MIN_MIB} MiB, the least with which the helper VM runs a JVM beside nested guests.
 */
public final class HostMemory {
    public static final long MIN_MIB = 2048;
    public static final long MAX_MIB = 8192;

    private HostMemory() {}

    /** MemAvailable from /proc/meminfo, in KiB. */
    public static long availableKiB(String meminfo) {
        return MemInfo.availableKiB(meminfo).orElseThrow(() -> new RigException("/proc/meminfo has no usable"
                + " MemAvailable line; cannot size the helper VM. Set PADDOCK_RIG_MEMORY_MB to choose its memory."));
    }

    public static long availableKiB(Path meminfo) {
        try {
            return availableKiB(Files.readString(meminfo));
        } catch (IOException e) {
            throw new RigException("cannot read " + meminfo + " to size the helper VM: " + e.getMessage(), e);
        }
    }

    /**
     * The helper VM's memory in MiB. {@code requestedMiB} (from PADDOCK_RIG_MEMORY_MB) wins when given, but
     * must still fit in what is available.
     */
    public static long helperVmMiB(long availableKiB, Long requestedMiB) {
        long availableMiB = availableKiB / 1024;
        long mib = requestedMiB != null ? requestedMiB : Math.min(MAX_MIB, availableMiB / 2);
        if (requestedMiB != null && requestedMiB > availableMiB) {
            throw new RigException("not enough memory for the helper VM: PADDOCK_RIG_MEMORY_MB=" + requestedMiB
                    + " but only " + availableMiB + " MiB are available. Lower it or free memory.");
        }
        if (mib < MIN_MIB) {
            throw new RigException("not enough memory for the helper VM: it needs at least " + MIN_MIB
                    + " MiB, and this host has " + availableMiB + " MiB available"
                    + (requestedMiB != null ? " (PADDOCK_RIG_MEMORY_MB=" + requestedMiB + ")"
                            : " (the helper VM takes half of it)")
                    + ". Free memory, or on a host with more, use the native accelerator.");
        }
        return mib;
    }
}
