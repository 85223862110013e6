package dev.paddock.runtime.arch.x86;

import dev.paddock.hypervisor.x86.CpuidEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * One vCPU's CPUID, made from what KVM supports ({@code KVM_GET_SUPPORTED_CPUID}) by filling in what only the
 * VMM knows: this vCPU's APIC ID, that it runs under a hypervisor, and the topology. The topology presented is
 * one socket of {@code vcpuCount} single-threaded cores, with APIC ID = vCPU index.
 *
 * <p>Leaves and bits: Intel SDM Vol. 2A, CPUID. Leaves KVM fills on its own (0x40000000 and up, the KVM
 * signature and paravirt features) are passed through untouched, as is every leaf not named here.
 */
public final class GuestCpuid {
    static final int LEAF_FEATURES = 0x1;
    static final int LEAF_CACHE_PARAMS = 0x4;
    static final int LEAF_EXT_TOPOLOGY = 0xB;
    static final int LEAF_V2_EXT_TOPOLOGY = 0x1F;
    /** Leaf 1 ECX bit 31: "hypervisor present" (reserved for hypervisor use; Linux reads X86_FEATURE_HYPERVISOR). */
    static final int ECX_HYPERVISOR = 1 << 31;
    /** Leaf 1 EDX bit 28 HTT: EBX[23:16] is valid (more than one logical processor in the package). */
    static final int EDX_HTT = 1 << 28;
    /** Leaf 0xB/0x1F ECX[15:8] level types. */
    static final int LEVEL_INVALID = 0;
    static final int LEVEL_SMT = 1;
    static final int LEVEL_CORE = 2;
    /** xAPIC IDs are 8 bits and 0xFF is the broadcast ID, so an xAPIC guest has at most 255 vCPUs. */
    public static final int MAX_VCPUS = 255;

    private GuestCpuid() {}

    public static List<CpuidEntry> forVcpu(List<CpuidEntry> supported, int apicId, int vcpuCount) {
        if (vcpuCount < 1 || vcpuCount > MAX_VCPUS) {
            throw new IllegalArgumentException("vCPU count %d is outside 1..%d (8-bit xAPIC IDs)"
                    .formatted(vcpuCount, MAX_VCPUS));
        }
        if (apicId < 0 || apicId >= vcpuCount) {
            throw new IllegalArgumentException("vCPU index %d is outside 0..%d".formatted(apicId, vcpuCount - 1));
        }
        List<CpuidEntry> out = new ArrayList<>(supported.size());
        for (CpuidEntry e : supported) {
            out.add(switch (e.function()) {
                case LEAF_FEATURES -> features(e, apicId, vcpuCount);
                case LEAF_CACHE_PARAMS -> cacheParams(e, vcpuCount);
                case LEAF_EXT_TOPOLOGY, LEAF_V2_EXT_TOPOLOGY -> topology(e, apicId, vcpuCount);
                default -> e;
            });
        }
        return out;
    }

    private static CpuidEntry features(CpuidEntry e, int apicId, int vcpuCount) {
        // EBX: [31:24] initial APIC ID, [23:16] max addressable logical processor IDs, [15:0] kept (CLFLUSH, brand).
        int ebx = (e.ebx() & 0x0000_FFFF) | (vcpuCount << 16) | (apicId << 24);
        int ecx = e.ecx() | ECX_HYPERVISOR;
        int edx = vcpuCount > 1 ? e.edx() | EDX_HTT : e.edx() & ~EDX_HTT;
        return e.withRegisters(e.eax(), ebx, ecx, edx);
    }

    private static CpuidEntry cacheParams(CpuidEntry e, int vcpuCount) {
        int cacheType = e.eax() & 0x1F;
        if (cacheType == 0) {
            return e; // "no more caches": the subleaf list ends here
        }
        int level = (e.eax() >>> 5) & 0x7;
        // EAX[25:14]: logical processors sharing this cache − 1 (L1/L2 are per core, one thread each; L3 is shared
        // by the whole package). EAX[31:26]: addressable core IDs in the package − 1 (6 bits).
        int sharing = level <= 2 ? 0 : vcpuCount - 1;
        int cores = Math.min(vcpuCount - 1, 0x3F);
        int eax = (e.eax() & 0x3FFF) | ((sharing & 0xFFF) << 14) | (cores << 26);
        return e.withRegisters(eax, e.ebx(), e.ecx(), e.edx());
    }

    private static CpuidEntry topology(CpuidEntry e, int apicId, int vcpuCount) {
        // EAX[4:0]: bits to shift the x2APIC ID right to get the next level's ID; EBX[15:0]: logical processors at
        // this level; ECX[7:0] subleaf, ECX[15:8] level type; EDX: this processor's x2APIC ID (every subleaf).
        int eax;
        int ebx;
        int type;
        switch (e.index()) {
            case 0 -> {
                eax = 0;
                ebx = 1;
                type = LEVEL_SMT;
            }
            case 1 -> {
                eax = bitsFor(vcpuCount);
                ebx = vcpuCount;
                type = LEVEL_CORE;
            }
            default -> {
                eax = 0;
                ebx = 0;
                type = LEVEL_INVALID;
            }
        }
        int ecx = (e.index() & 0xFF) | (type << 8);
        return e.withRegisters(eax, ebx, ecx, apicId);
    }

    /** ceil(log2(n)): how many APIC ID bits n cores need. */
    static int bitsFor(int n) {
        return n <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(n - 1);
    }
}
