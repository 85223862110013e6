package dev.paddock.runtime.bus;

/**
 * A device's registers as the vCPU sees them on the port-I/O or MMIO bus.
 *
 * <p>Called synchronously on a vCPU thread for each PIO/MMIO exit; implementations must never block
 * (queue work goes to the device event loop, file I/O to a worker pool). {@code offset} is relative to the
 * device's base address on its bus; {@code data.length} is the access width (1, 2, 4 or 8 bytes, guest-
 * chosen). A read fills {@code data} (little-endian); a write consumes it. Accesses of a wrong width or
 * offset are the guest's business: ignore writes and read zeros (or all ones where the spec says so),
 * never throw for them.
 */
public interface BusDevice {

    void read(long offset, byte[] data);

    void write(long offset, byte[] data);
}
