package dev.paddock.runtime.acpi;

import java.nio.ByteBuffer;

/**
 * The Fixed ACPI Description Table, revision 6.5 (ACPI 6.5 §5.2.9, Table 5.9: major revision 6, FADT
 * Minor Version 5, 276 bytes), for a hardware-reduced platform.
 *
 * <p>Hardware-reduced ACPI (§4.1, flag bit 20) means there are no fixed-feature registers: no PM1/PM2
 * blocks, no PM timer, no GPE blocks, no SCI, no SMI command port, and no FACS is required. Linux then
 * also installs its null legacy PIC and skips the PIT/HPET timer setup. So every field from SCI_INT to
 * CENTURY and X_PM1a_EVT_BLK to X_GPE1_BLK stays zero, and only these are set:
 * <ul>
 * <li>Flags (Table 5.10): PWR_BUTTON (bit 4) and SLP_BUTTON (bit 5), meaning "no fixed-feature power or
 *     sleep button" (we have neither), and HW_REDUCED_ACPI (bit 20).</li>
 * <li>IA-PC Boot Architecture Flags (§5.2.9.3, Table 5.11): VGA Not Present (bit 2); MSI Not Supported
 *     (bit 3) and PCIe ASPM Controls (bit 4), since there is no PCI at all; CMOS RTC Not Present
 *     (bit 5), because we emulate no RTC at ports 0x70/0x71, so Linux must not register rtc_cmos and
 *     reads wall-clock time from kvmclock; and 8042 (bit 1) exactly when the i8042 is present, so Linux
 *     may also probe it directly if PNP is turned off ({@code i8042.nopnp}).</li>
 * <li>X_DSDT (offset 140), the DSDT's 64-bit address; the 32-bit DSDT field stays zero, so there is no
 *     32/64-bit mismatch for the OS to resolve.</li>
 * <li>Hypervisor Vendor Identity (offset 268): {@code "PADDOCK "}.</li>
 * <li>With {@link AcpiConfig#powerControl()}: SLEEP_CONTROL_REG (offset 244), SLEEP_STATUS_REG (256) and
 *     RESET_REG (116) all name {@link AcpiPowerControl#PORT} as an 8-bit System I/O register (Generic
 *     Address Structure, §5.2.3.2), RESET_VALUE (128) is {@link AcpiPowerControl#RESET_VALUE}, and flag
 *     RESET_REG_SUP (bit 10) is set. Linux offers ACPI power-off on a hardware-reduced platform only when
 *     both sleep registers are present and \_S5 exists (drivers/acpi/sleep.c,
 *     acpi_sleep_state_supported), and then writes SLP_TYP|SLP_EN to the control register
 *     (acpica/hwesleep.c).</li>
 * </ul>
 */
final class Fadt {
    private Fadt() {}

    static final String SIGNATURE = "FACP";
    static final int REVISION = 6;
    static final int MINOR_VERSION = 5;
    static final int LENGTH = 276;

    static final int IAPC_BOOT_ARCH_OFFSET = 109;
    static final int FLAGS_OFFSET = 112;
    static final int RESET_REG_OFFSET = 116;
    static final int RESET_VALUE_OFFSET = 128;
    static final int MINOR_VERSION_OFFSET = 131;
    static final int X_DSDT_OFFSET = 140;
    static final int SLEEP_CONTROL_REG_OFFSET = 244;
    static final int SLEEP_STATUS_REG_OFFSET = 256;
    static final int HYPERVISOR_VENDOR_OFFSET = 268;

    /** Generic Address Structure (§5.2.3.2, Table 5.1): Address Space ID 1 = System I/O; Access Size 1 = byte. */
    static final int GAS_SYSTEM_IO = 1;
    static final int GAS_ACCESS_BYTE = 1;

    /** Fixed Feature Flags, Table 5.10. */
    static final int FLAG_PWR_BUTTON = 1 << 4;
    static final int FLAG_SLP_BUTTON = 1 << 5;
    static final int FLAG_RESET_REG_SUP = 1 << 10;
    static final int FLAG_HW_REDUCED_ACPI = 1 << 20;

    /** IA-PC Boot Architecture Flags, Table 5.11. */
    static final int BOOT_ARCH_8042 = 1 << 1;
    static final int BOOT_ARCH_VGA_NOT_PRESENT = 1 << 2;
    static final int BOOT_ARCH_MSI_NOT_SUPPORTED = 1 << 3;
    static final int BOOT_ARCH_PCIE_ASPM_CONTROLS = 1 << 4;
    static final int BOOT_ARCH_CMOS_RTC_NOT_PRESENT = 1 << 5;

    static final String HYPERVISOR_VENDOR_IDENTITY = "PADDOCK ";

    static byte[] build(long dsdtAddress, boolean i8042, boolean powerControl) {
        ByteBuffer body = SystemDescriptionTable.littleEndian(LENGTH - SystemDescriptionTable.HEADER_LENGTH);
        int bootArch = BOOT_ARCH_VGA_NOT_PRESENT | BOOT_ARCH_MSI_NOT_SUPPORTED | BOOT_ARCH_PCIE_ASPM_CONTROLS
                | BOOT_ARCH_CMOS_RTC_NOT_PRESENT | (i8042 ? BOOT_ARCH_8042 : 0);
        body.putShort(bodyOffset(IAPC_BOOT_ARCH_OFFSET), (short) bootArch);
        body.putInt(bodyOffset(FLAGS_OFFSET), FLAG_PWR_BUTTON | FLAG_SLP_BUTTON | FLAG_HW_REDUCED_ACPI | (powerControl ? FLAG_RESET_REG_SUP : 0));
        if (powerControl) {
            putIoRegister(body, bodyOffset(RESET_REG_OFFSET), AcpiPowerControl.PORT);
            body.put(bodyOffset(RESET_VALUE_OFFSET), (byte) AcpiPowerControl.RESET_VALUE);
            putIoRegister(body, bodyOffset(SLEEP_CONTROL_REG_OFFSET), AcpiPowerControl.PORT);
            putIoRegister(body, bodyOffset(SLEEP_STATUS_REG_OFFSET), AcpiPowerControl.PORT);
        }
        body.put(bodyOffset(MINOR_VERSION_OFFSET), (byte) MINOR_VERSION);
        body.putLong(bodyOffset(X_DSDT_OFFSET), dsdtAddress);
        body.put(bodyOffset(HYPERVISOR_VENDOR_OFFSET), SystemDescriptionTable.ascii(HYPERVISOR_VENDOR_IDENTITY, 8));
        return SystemDescriptionTable.build(SIGNATURE, REVISION, body.array());
    }

    /** A 12-byte GAS for an 8-bit I/O port: space ID, bit width, bit offset, access size, 64-bit address. */
    private static void putIoRegister(ByteBuffer body, int offset, int port) {
        body.put(offset, (byte) GAS_SYSTEM_IO);
        body.put(offset + 1, (byte) 8);
        body.put(offset + 2, (byte) 0);
        body.put(offset + 3, (byte) GAS_ACCESS_BYTE);
        body.putLong(offset + 4, port);
    }

    private static int bodyOffset(int tableOffset) {
        return tableOffset - SystemDescriptionTable.HEADER_LENGTH;
    }
}
