package dev.paddock.runtime.acpi;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the guest's ACPI tables: DSDT, FADT, MADT and XSDT from {@link Layout#ACPI_TABLES} upwards,
 * and the RSDP at {@link Layout#RSDP}, where both the boot-protocol pointer and Linux's legacy scan of
 * 0xE0000–0xFFFFF find it (ACPI 6.5 §5.2.5.1).
 *
 * <p>The chain the OS walks: RSDP → XSDT → {FADT → DSDT, MADT}. Tables are 8-byte aligned; the whole set
 * for 254 vCPUs and 19 devices is a few KiB, far below the 256 KiB the layout leaves.
 *
 * <pre>{@code
 * WrittenAcpiTables acpi = AcpiTables.write(memory, AcpiConfig.standard(2, 3));
 * zeroPage.putLong(0x070, acpi.rsdpAddress());
 * }</pre>
 */
public final class AcpiTables {
    private AcpiTables() {}

    static final int TABLE_ALIGNMENT = 8;

    /**
     * Builds every table for {@code config} and writes it into {@code memory}.
     *
     * @throws IllegalStateException when guest RAM does not cover the ACPI area, or the tables would
     *                               reach the RSDP
     */
    public static WrittenAcpiTables write(GuestMemory memory, AcpiConfig config) {
        List<TableRange> ranges = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        long next = Layout.ACPI_TABLES;

        long dsdtAddress = next;
        next = place("DSDT", Dsdt.build(config), dsdtAddress, ranges, contents);
        long fadtAddress = next;
        next = place("FACP", Fadt.build(dsdtAddress, config.i8042(), config.powerControl()), fadtAddress, ranges, contents);
        long madtAddress = next;
        next = place("APIC", Madt.build(config.vcpuCount()), madtAddress, ranges, contents);
        long xsdtAddress = next;
        next = place("XSDT", Xsdt.build(List.of(fadtAddress, madtAddress)), xsdtAddress, ranges, contents);
        if (next > Layout.RSDP) {
            throw new IllegalStateException("ACPI tables need [0x%X, 0x%X), which reaches the RSDP at 0x%X; describe fewer devices or vCPUs"
                    .formatted(Layout.ACPI_TABLES, next, Layout.RSDP));
        }
        place("RSDP", Rsdp.build(xsdtAddress), Layout.RSDP, ranges, contents);

        for (int i = 0; i < ranges.size(); i++) {
            TableRange range = ranges.get(i);
            if (!memory.isValidRange(range.address(), range.length())) {
                throw new IllegalStateException("ACPI table %s at [0x%X, 0x%X) is not inside guest RAM; guest memory must cover [0, 0x%X) (regions: %s)"
                        .formatted(range.signature(), range.address(), range.end(), Layout.HIMEM_START, memory.regions()));
            }
        }
        for (int i = 0; i < ranges.size(); i++) {
            byte[] table = contents.get(i);
            memory.write(ranges.get(i).address(), table, 0, table.length);
        }
        return new WrittenAcpiTables(Layout.RSDP, ranges);
    }

    private static long place(String signature, byte[] table, long address, List<TableRange> ranges, List<byte[]> contents) {
        ranges.add(new TableRange(signature, address, table.length));
        contents.add(table);
        long end = address + table.length;
        return (end + TABLE_ALIGNMENT - 1) & -TABLE_ALIGNMENT;
    }
}
