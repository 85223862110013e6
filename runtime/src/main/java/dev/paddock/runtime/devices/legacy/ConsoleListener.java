package dev.paddock.runtime.devices.legacy;

/**
 * Receives what the guest writes to its serial console. Called on the VM's device event loop thread, never on a
 * vCPU thread, with the bytes in the order the guest wrote them; it may block briefly (a slow terminal only
 * delays later console output, never the guest, until the console buffer fills and bytes are dropped).
 */
@FunctionalInterface
public interface ConsoleListener {

    void output(byte[] bytes);
}
