package dev.paddock.hypervisor.x86;

/**
 * One CPUID leaf/subleaf (KVM: struct kvm_cpuid_entry2). {@code flags} bit 0 (KVM_CPUID_FLAG_SIGNIFCANT_INDEX)
 * says {@code index} (ECX on input) selects the subleaf.
 */
public record CpuidEntry(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
    public CpuidEntry withRegisters(int newEax, int newEbx, int newEcx, int newEdx) {
        return new CpuidEntry(function, index, flags, newEax, newEbx, newEcx, newEdx);
    }
}
