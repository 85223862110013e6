package dev.paddock.hypervisor.x86;

/** A model-specific register and its value (KVM: struct kvm_msr_entry). */
public record MsrEntry(int index, long data) {
}
