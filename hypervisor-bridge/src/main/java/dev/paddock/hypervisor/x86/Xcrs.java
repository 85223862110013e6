package dev.paddock.hypervisor.x86;

import java.util.List;

/** The extended control registers, in practice XCR0 (KVM: struct kvm_xcrs, at most 16 entries). */
public record Xcrs(int flags, List<Xcr> xcrs) {
    public static final int MAX = 16;

    public Xcrs {
        if (xcrs.size() > MAX) {
            throw new IllegalArgumentException("at most " + MAX + " XCRs, got " + xcrs.size());
        }
        xcrs = List.copyOf(xcrs);
    }

    public record Xcr(int xcr, long value) {
    }
}
