package dev.paddock.runtime.vmm;

import java.util.Objects;

/** How a VM ended: the reason and, for errors and guest events, what exactly happened. */
public record VmStop(StopReason reason, String detail) {

    public VmStop {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(detail, "detail");
    }

    @Override
    public String toString() {
        return detail.isEmpty() ? reason.toString() : reason + ": " + detail;
    }
}
