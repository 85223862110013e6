package dev.paddock.runtime.acpi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The 36-byte System Description Table Header every table but the RSDP starts with (ACPI 6.5 §5.2.6,
 * Table 5.4), and the checksum rule they share: all bytes of the table sum to zero modulo 256.
 *
 * <pre>
 *  0 Signature[4]  4 Length u32  8 Revision u8  9 Checksum u8  10 OEMID[6]  16 OEM Table ID[8]
 * 24 OEM Revision u32  28 Creator ID[4]  32 Creator Revision u32
 * </pre>
 */
final class SystemDescriptionTable {
    private SystemDescriptionTable() {}

    static final int HEADER_LENGTH = 36;
    static final int CHECKSUM_OFFSET = 9;

    /** Who made the tables: the OEM is the platform, i.e. us. */
    static final String OEM_ID = "PADDCK";
    static final String OEM_TABLE_ID = "PADDOCK ";
    static final int OEM_REVISION = 1;
    /** Creator ID names the tool that built the table (usually an ASL compiler); ours is the AML encoder in this package. */
    static final String CREATOR_ID = "PDCK";
    static final int CREATOR_REVISION = 1;

    /** A table of {@code HEADER_LENGTH + body.length} bytes with its header filled in and its checksum set. */
    static byte[] build(String signature, int revision, byte[] body) {
        int length = HEADER_LENGTH + body.length;
        ByteBuffer table = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        table.put(ascii(signature, 4));
        table.putInt(length);
        table.put((byte) revision);
        table.put((byte) 0);
        table.put(ascii(OEM_ID, 6));
        table.put(ascii(OEM_TABLE_ID, 8));
        table.putInt(OEM_REVISION);
        table.put(ascii(CREATOR_ID, 4));
        table.putInt(CREATOR_REVISION);
        table.put(body);
        byte[] bytes = table.array();
        bytes[CHECKSUM_OFFSET] = checksumFor(bytes, 0, length);
        return bytes;
    }

    /** The byte that, stored in a zeroed checksum field, makes {@code bytes[from, to)} sum to zero modulo 256. */
    static byte checksumFor(byte[] bytes, int from, int to) {
        int sum = 0;
        for (int i = from; i < to; i++) {
            sum += bytes[i];
        }
        return (byte) -sum;
    }

    /** True when {@code bytes[from, to)} sums to zero modulo 256. */
    static boolean checksumValid(byte[] bytes, int from, int to) {
        return checksumFor(bytes, from, to) == 0;
    }

    static byte[] ascii(String text, int width) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        if (bytes.length != width) {
            throw new IllegalArgumentException("ACPI identifier \"%s\" must be exactly %d ASCII characters".formatted(text, width));
        }
        return bytes;
    }

    static ByteBuffer littleEndian(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
