package dev.paddock.hypervisor;

/** A vCPU as the runtime sees it through the {@link Hypervisor} SPI. One thread calls {@link #run()}. */
public interface VirtualCpu extends AutoCloseable {

    int id();

    /** Runs the guest until it exits to the VMM, and decodes why. */
    VcpuExit run();

    /** From any thread: makes a current or the next {@link #run()} return {@link VcpuExit.Interrupted}. */
    void kick();

    @Override
    void close();
}
