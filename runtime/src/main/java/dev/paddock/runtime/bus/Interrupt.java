package dev.paddock.runtime.bus;

/**
 * An edge-triggered interrupt line to the guest: for KVM, a write to the irqfd registered for the
 * device's GSI. Safe from any thread, never blocks.
 */
@FunctionalInterface
public interface Interrupt {

    void trigger();
}
