package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/** {@code Return(value)}: DefReturn := ReturnOp (0xA4) ArgObject (ACPI 6.5 §20.2.5.3). */
public record Return(AmlTerm value) implements AmlTerm {

    static final int RETURN_OP = 0xA4;

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        out.write(RETURN_OP);
        value.encodeTo(out);
    }
}
