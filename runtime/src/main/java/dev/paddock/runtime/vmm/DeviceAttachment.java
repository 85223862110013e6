package dev.paddock.runtime.vmm;

/** One builder step that puts a device on the half-built VM: its bus ranges, irqfd, ioeventfds, handlers. */
@FunctionalInterface
interface DeviceAttachment {

    void attach(MicroVm vm);
}
