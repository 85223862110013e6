package dev.paddock.hypervisor.linux;

/**
 * The VM's kvmclock (KVM: struct kvm_clock_data). {@code clock} is guest nanoseconds; {@code realtime}
 * and {@code hostTsc} are valid when {@code flags} has KVM_CLOCK_REALTIME (4) / KVM_CLOCK_HOST_TSC (8).
 */
public record KvmClock(long clock, int flags, long realtime, long hostTsc) {
}
