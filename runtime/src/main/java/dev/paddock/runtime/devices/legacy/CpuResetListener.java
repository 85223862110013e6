package dev.paddock.runtime.devices.legacy;

/** Told when the guest pulses the CPU reset line (i8042 command 0xFE: what Linux's {@code reboot=k} does). */
@FunctionalInterface
public interface CpuResetListener {

    void cpuResetRequested();
}
