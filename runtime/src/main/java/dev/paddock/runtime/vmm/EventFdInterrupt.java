package dev.paddock.runtime.vmm;

import dev.paddock.hypervisor.linux.EventFd;
import dev.paddock.runtime.bus.Interrupt;

/** An interrupt line wired through KVM_IRQFD: each trigger is one eventfd write, one edge on the GSI. */
record EventFdInterrupt(EventFd eventFd) implements Interrupt {

    @Override
    public void trigger() {
        eventFd.signal();
    }
}
