package dev.paddock.runtime.acpi;

import java.nio.ByteBuffer;

/**
 * The Root System Description Pointer, revision 2 (ACPI 6.5 §5.2.5.3, Table 5.3): 36 bytes with two
 * checksums, one over the first 20 bytes (the ACPI 1.0 structure) and one over all 36.
 *
 * <pre>
 *  0 "RSD PTR "  8 Checksum (bytes 0-19)  9 OEMID[6]  15 Revision = 2  16 RsdtAddress u32
 * 20 Length u32 = 36  24 XsdtAddress u64  32 Extended Checksum (bytes 0-35)  33 Reserved[3]
 * </pre>
 *
 * We publish no RSDT (RsdtAddress 0): an OS that reads revision 2 uses the XSDT (§5.2.5.3: "If the
 * XSDT is present, OSPM must use it").
 */
final class Rsdp {
    private Rsdp() {}

    static final int LENGTH = 36;
    static final int REVISION = 2;
    static final int CHECKSUM_OFFSET = 8;
    static final int V1_LENGTH = 20;
    static final int EXTENDED_CHECKSUM_OFFSET = 32;
    static final int XSDT_ADDRESS_OFFSET = 24;

    static byte[] build(long xsdtAddress) {
        ByteBuffer rsdp = SystemDescriptionTable.littleEndian(LENGTH);
        rsdp.put(SystemDescriptionTable.ascii("RSD PTR ", 8));
        rsdp.put((byte) 0);
        rsdp.put(SystemDescriptionTable.ascii(SystemDescriptionTable.OEM_ID, 6));
        rsdp.put((byte) REVISION);
        rsdp.putInt(0);
        rsdp.putInt(LENGTH);
        rsdp.putLong(xsdtAddress);
        byte[] bytes = rsdp.array();
        bytes[CHECKSUM_OFFSET] = SystemDescriptionTable.checksumFor(bytes, 0, V1_LENGTH);
        bytes[EXTENDED_CHECKSUM_OFFSET] = SystemDescriptionTable.checksumFor(bytes, 0, LENGTH);
        return bytes;
    }
}
