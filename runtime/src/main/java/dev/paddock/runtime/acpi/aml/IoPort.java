package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/**
 * {@code IO(Decode16|Decode10, min, max, alignment, length)}: the I/O Port Descriptor (ACPI 6.5
 * §6.4.2.5), a small descriptor of type 0x08 and length 7, hence tag 0x47: information byte (bit 0: 1
 * when the device decodes all 16 address bits), minimum and maximum base (16-bit LE), alignment, length.
 */
public record IoPort(boolean decode16, int minimum, int maximum, int alignment, int length) implements ResourceDescriptor {

    static final int TAG = 0x47;

    public IoPort {
        if (minimum < 0 || minimum > 0xFFFF || maximum < minimum || maximum > 0xFFFF) {
            throw new IllegalArgumentException("IO port range min 0x%X max 0x%X must be 16-bit with min <= max (ACPI §6.4.2.5)".formatted(minimum, maximum));
        }
        if (alignment < 0 || alignment > 0xFF || length < 0 || length > 0xFF) {
            throw new IllegalArgumentException("IO port 0x%X: alignment %d and length %d must each fit one byte (ACPI §6.4.2.5)"
                    .formatted(minimum, alignment, length));
        }
    }

    /** A fixed 16-bit-decoded range {@code IO(Decode16, port, port, 1, length)}. */
    public static IoPort fixed(int port, int length) {
        return new IoPort(true, port, port, 1, length);
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        out.write(TAG);
        out.write(decode16 ? 1 : 0);
        AmlInteger.writeLittleEndian(out, minimum, 2);
        AmlInteger.writeLittleEndian(out, maximum, 2);
        out.write(alignment);
        out.write(length);
    }
}
