package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/**
 * An AML integer constant in its shortest encoding (ACPI 6.5 §20.2.3, "Data Objects Encoding"):
 * ZeroOp 0x00 for 0, OneOp 0x01 for 1, then BytePrefix 0x0A, WordPrefix 0x0B, DWordPrefix 0x0C or
 * QWordPrefix 0x0E followed by the value, little-endian.
 *
 * <p>OnesOp (0xFF) is never used: its value depends on the DSDT revision (32 or 64 bits, §19.6.97).
 * A QWord constant needs a DSDT of revision 2 or more; ours is.
 */
public record AmlInteger(long value) implements AmlTerm {

    static final int ZERO_OP = 0x00;
    static final int ONE_OP = 0x01;
    static final int BYTE_PREFIX = 0x0A;
    static final int WORD_PREFIX = 0x0B;
    static final int DWORD_PREFIX = 0x0C;
    static final int QWORD_PREFIX = 0x0E;

    public static final AmlInteger ZERO = new AmlInteger(0);
    public static final AmlInteger ONE = new AmlInteger(1);

    public static AmlInteger of(long value) {
        return new AmlInteger(value);
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        if (value == 0) {
            out.write(ZERO_OP);
        } else if (value == 1) {
            out.write(ONE_OP);
        } else if (Long.compareUnsigned(value, 0xFF) <= 0) {
            out.write(BYTE_PREFIX);
            writeLittleEndian(out, value, 1);
        } else if (Long.compareUnsigned(value, 0xFFFF) <= 0) {
            out.write(WORD_PREFIX);
            writeLittleEndian(out, value, 2);
        } else if (Long.compareUnsigned(value, 0xFFFF_FFFFL) <= 0) {
            out.write(DWORD_PREFIX);
            writeLittleEndian(out, value, 4);
        } else {
            out.write(QWORD_PREFIX);
            writeLittleEndian(out, value, 8);
        }
    }

    static void writeLittleEndian(ByteArrayOutputStream out, long value, int bytes) {
        for (int i = 0; i < bytes; i++) {
            out.write((int) (value >>> (8 * i)) & 0xFF);
        }
    }
}
