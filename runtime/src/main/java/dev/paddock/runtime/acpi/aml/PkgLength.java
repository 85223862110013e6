package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * The PkgLength that opens every variable-length AML object (ACPI 6.5 §20.2.4, "Package Length
 * Encoding").
 *
 * <p>The value counts the PkgLength bytes themselves plus everything after them up to the end of the
 * package. Bits 7–6 of the lead byte give the number of bytes that follow (0–3). With none, bits 5–0 are
 * the length (up to 63). Otherwise bits 3–0 of the lead byte are the low nibble, each following byte
 * carries the next 8 bits, and bits 5–4 of the lead byte must be zero; so four bytes reach 2^28 − 1.
 */
public final class PkgLength {
    private PkgLength() {}

    /** Largest value a four-byte PkgLength can hold (28 bits). */
    public static final int MAX = (1 << 28) - 1;

    /**
     * The shortest PkgLength for a package whose contents after the PkgLength are {@code contentLength}
     * bytes long.
     */
    public static byte[] forContent(int contentLength) {
        if (contentLength < 0) {
            throw new IllegalArgumentException("AML package content of %d bytes: a length cannot be negative".formatted(contentLength));
        }
        // One byte holds 6 bits, two 12, three 20, four 28; the encoded value includes the PkgLength bytes.
        for (int size = 1; size <= 4; size++) {
            long total = (long) contentLength + size;
            long limit = size == 1 ? 0x3F : (1L << (4 + 8 * (size - 1))) - 1;
            if (total <= limit) {
                return encode((int) total, size);
            }
        }
        throw new IllegalArgumentException("AML package content of %d bytes exceeds the PkgLength maximum of %d bytes (ACPI §20.2.4)"
                .formatted(contentLength, MAX - 4));
    }

    private static byte[] encode(int value, int size) {
        byte[] bytes = new byte[size];
        if (size == 1) {
            bytes[0] = (byte) value;
            return bytes;
        }
        bytes[0] = (byte) (((size - 1) << 6) | (value & 0x0F));
        for (int i = 1; i < size; i++) {
            bytes[i] = (byte) (value >>> (4 + 8 * (i - 1)));
        }
        return bytes;
    }

    /**
     * Writes {@code opcode}, a PkgLength, then {@code head} and the encodings of {@code body}: the shape of
     * DefScope, DefDevice, DefMethod, DefBuffer and DefPackage.
     */
    static void writePackage(ByteArrayOutputStream out, byte[] opcode, byte[] head, List<? extends AmlTerm> body) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        content.writeBytes(head);
        for (AmlTerm term : body) {
            term.encodeTo(content);
        }
        out.writeBytes(opcode);
        out.writeBytes(forContent(content.size()));
        out.writeBytes(content.toByteArray());
    }
}
