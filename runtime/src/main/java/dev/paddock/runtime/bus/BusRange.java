package dev.paddock.runtime.bus;

import java.util.Objects;

/**
 * One device's window on a bus: {@code [base, base + length)}, and the name that errors and diagnostics show.
 */
public record BusRange(long base, long length, String name, BusDevice device) {

    public BusRange {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        if (length <= 0) {
            throw new IllegalArgumentException("bus range of %s must have a positive length, got %d".formatted(name, length));
        }
        if (base < 0 || base + length < base) {
            throw new IllegalArgumentException("bus range of %s at 0x%x (+0x%x) wraps around the address space"
                    .formatted(name, base, length));
        }
    }

    /** One past the last address. */
    public long end() {
        return base + length;
    }

    /** True when the access {@code [address, address + size)} lies wholly inside this range. */
    boolean covers(long address, int size) {
        return address >= base && address - base <= length - size;
    }

    boolean overlaps(BusRange other) {
        return base < other.end() && other.base < end();
    }

    @Override
    public String toString() {
        return "%s [0x%x, 0x%x)".formatted(name, base, end());
    }
}
