package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/**
 * One resource data descriptor of a {@link ResourceTemplate} (ACPI 6.5 §6.4, "Resource Data Types for
 * ACPI"). Small descriptors start with a byte {@code 0 tttt lll} (type, length); large ones with
 * {@code 1 ttttttt} and a 16-bit length, both lengths counting only the bytes after the header.
 */
public sealed interface ResourceDescriptor permits Memory32Fixed, IoPort, Irq, ExtendedInterrupt {

    /** Appends this descriptor's bytes (header included). */
    void encodeTo(ByteArrayOutputStream out);
}
