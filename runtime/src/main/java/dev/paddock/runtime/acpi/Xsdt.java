package dev.paddock.runtime.acpi;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * The Extended System Description Table (ACPI 6.5 §5.2.8): the header, then one 64-bit physical address
 * per table (FADT, MADT). The DSDT is not listed: the FADT points to it (§5.2.9 X_DSDT).
 */
final class Xsdt {
    private Xsdt() {}

    static final String SIGNATURE = "XSDT";
    static final int REVISION = 1;

    static byte[] build(List<Long> tableAddresses) {
        ByteBuffer body = SystemDescriptionTable.littleEndian(8 * tableAddresses.size());
        tableAddresses.forEach(body::putLong);
        return SystemDescriptionTable.build(SIGNATURE, REVISION, body.array());
    }

    static int length(int entries) {
        return SystemDescriptionTable.HEADER_LENGTH + 8 * entries;
    }
}
