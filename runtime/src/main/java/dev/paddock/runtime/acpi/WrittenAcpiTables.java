package dev.paddock.runtime.acpi;

import java.util.List;

/**
 * What {@link AcpiTables#write} put in guest memory.
 *
 * @param rsdpAddress the RSDP's guest-physical address, for the zero page's {@code acpi_rsdp_addr}
 *                    (struct boot_params offset 0x070) or PVH's {@code hvm_start_info.rsdp_paddr}
 * @param tables      every table written, RSDP last, in ascending address order
 */
public record WrittenAcpiTables(long rsdpAddress, List<TableRange> tables) {

    public WrittenAcpiTables {
        tables = List.copyOf(tables);
    }

    /** The range of the table with this signature. */
    public TableRange table(String signature) {
        return tables.stream()
                .filter(t -> t.signature().equals(signature))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no ACPI table \"%s\" was written; tables: %s"
                        .formatted(signature, tables.stream().map(TableRange::signature).toList())));
    }
}
