package dev.paddock.runtime.acpi;

/** Where one table landed in guest memory: its signature ({@code "RSDP"} for the pointer) and byte range. */
public record TableRange(String signature, long address, int length) {

    public long end() {
        return address + length;
    }
}
