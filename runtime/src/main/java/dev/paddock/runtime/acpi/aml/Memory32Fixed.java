package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/**
 * {@code Memory32Fixed(ReadWrite|ReadOnly, base, length)}: the 32-Bit Fixed Memory Range Descriptor (ACPI
 * 6.5 §6.4.3.4), a large descriptor: 0x86, length 0x0009, information byte (bit 0: 1 read-write, 0
 * read-only), base and range length as 32-bit little-endian values.
 */
public record Memory32Fixed(boolean writable, long base, long length) implements ResourceDescriptor {

    static final int TAG = 0x86;
    static final int DATA_LENGTH = 9;

    public Memory32Fixed {
        if (base < 0 || base > 0xFFFF_FFFFL || length < 0 || length > 0xFFFF_FFFFL || base + length > 0x1_0000_0000L) {
            throw new IllegalArgumentException("Memory32Fixed [0x%X, +0x%X) must lie below 4 GiB (ACPI §6.4.3.4)".formatted(base, length));
        }
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        out.write(TAG);
        AmlInteger.writeLittleEndian(out, DATA_LENGTH, 2);
        out.write(writable ? 1 : 0);
        AmlInteger.writeLittleEndian(out, base, 4);
        AmlInteger.writeLittleEndian(out, length, 4);
    }
}
