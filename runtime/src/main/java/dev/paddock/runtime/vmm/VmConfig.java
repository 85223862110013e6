package dev.paddock.runtime.vmm;

/**
 * The machine apart from its devices and what it boots: RAM and vCPUs.
 *
 * @param memoryBytes guest RAM, at least {@value #MIN_MEMORY_MIB} MiB and a multiple of 1 MiB
 * @param vcpus between 1 and {@value #MAX_VCPUS}
 */
public record VmConfig(long memoryBytes, int vcpus) {
    /** Enough for a Debian cloud kernel's decompression (pref_address 16 MiB + init_size ~51 MiB) plus initramfs. */
    public static final int MIN_MEMORY_MIB = 64;
    /**
     * xAPIC IDs are 8 bits and 0xFF is the broadcast ID, so 255 CPUs at most; the MADT's Local APIC entries and
     * the IOAPIC's destination field are 8-bit too. One fewer keeps the IOAPIC's ID (0xFE would do as well) clear
     * of any vCPU's on kernels that number them after the CPUs.
     */
    public static final int MAX_VCPUS = 254;
    private static final long MIB = 1L << 20;

    public VmConfig {
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new VmConfigException("vcpus = %d: a VM has 1 to %d vCPUs".formatted(vcpus, MAX_VCPUS));
        }
        if (memoryBytes < MIN_MEMORY_MIB * MIB) {
            throw new VmConfigException("memory = %d bytes (%d MiB): a VM needs at least %d MiB"
                    .formatted(memoryBytes, memoryBytes / MIB, MIN_MEMORY_MIB));
        }
        if (memoryBytes % MIB != 0) {
            throw new VmConfigException("memory = %d bytes is not a whole number of MiB; round it to %d MiB"
                    .formatted(memoryBytes, (memoryBytes + MIB - 1) / MIB));
        }
    }

    public long memoryMiB() {
        return memoryBytes / MIB;
    }
}
