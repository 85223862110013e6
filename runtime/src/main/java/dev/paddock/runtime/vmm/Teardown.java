package dev.paddock.runtime.vmm;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What a VM holds, in the order it was acquired, released in reverse: a failure half-way through building a VM
 * releases exactly what was acquired so far, and a VM that ends releases everything. Every close is attempted;
 * the first failure is thrown with the others suppressed.
 */
final class Teardown {
    private record Held(String what, AutoCloseable resource) {
    }

    private final Deque<Held> held = new ArrayDeque<>();

    synchronized <T extends AutoCloseable> T hold(String what, T resource) {
        held.push(new Held(what, resource));
        return resource;
    }

    /** Releases everything held; returns the failure (null when none) rather than throwing. */
    synchronized RuntimeException releaseAll() {
        RuntimeException failure = null;
        while (!held.isEmpty()) {
            Held h = held.pop();
            try {
                h.resource().close();
            } catch (Exception e) {
                RuntimeException wrapped = new IllegalStateException("releasing " + h.what() + " failed: " + e.getMessage(), e);
                if (failure == null) {
                    failure = wrapped;
                } else {
                    failure.addSuppressed(wrapped);
                }
            }
        }
        return failure;
    }
}
