package dev.paddock.runtime.acpi;

/**
 * Told when the guest asks, through ACPI, to power off or reset the machine.
 *
 * <p>Called on the vCPU thread that made the register write, so it must not block: record the request
 * and let the VM's lifecycle stop the vCPUs. After a power-off write Linux spins reading the sleep
 * status register, waiting for a wake that never comes, so the vCPU should be stopped promptly.
 */
public interface GuestPowerListener {

    /** The guest entered S5 (soft off): {@code poweroff}, {@code poweroff -f}, {@code halt -p}. */
    void powerOffRequested();

    /** The guest wrote the FADT reset value to the reset register: {@code reboot}. */
    void resetRequested();
}
