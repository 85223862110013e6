package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/**
 * One piece of AML (ACPI 6.5 §20, "ACPI Machine Language Specification") that knows its own bytes.
 *
 * <p>Terms compose: a {@link Device} holds {@link Name}s, a {@link Name} holds a data object, and the
 * DSDT body is the concatenation of its top-level terms. Each term writes its complete encoding, so a
 * container can measure its children before it writes its {@link PkgLength}.
 */
public interface AmlTerm {

    /** Appends this term's encoding to {@code out}. */
    void encodeTo(ByteArrayOutputStream out);

    /** This term's encoding on its own. */
    default byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        encodeTo(out);
        return out.toByteArray();
    }
}
