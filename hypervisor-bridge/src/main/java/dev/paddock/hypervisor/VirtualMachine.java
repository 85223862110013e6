package dev.paddock.hypervisor;

import dev.paddock.hypervisor.memory.GuestMemory;

/** A VM as the runtime sees it through the {@link Hypervisor} SPI. */
public interface VirtualMachine extends AutoCloseable {

    /** Maps every region of {@code memory} into the guest at its guest-physical address. */
    void mapMemory(GuestMemory memory);

    /** Creates vCPU {@code id}. */
    VirtualCpu createVcpu(int id);

    @Override
    void close();
}
