package dev.paddock.hypervisor.x86;

/** GDTR or IDTR (KVM: struct kvm_dtable): base address and limit (size − 1). */
public record DescriptorTable(long base, int limit) {
}
