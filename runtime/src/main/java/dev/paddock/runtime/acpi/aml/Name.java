package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/** {@code Name(name, value)}: DefName := NameOp (0x08) NameString DataRefObject (ACPI 6.5 §20.2.5.1). */
public record Name(NameString name, AmlTerm value) implements AmlTerm {

    static final int NAME_OP = 0x08;

    public static Name of(String name, AmlTerm value) {
        return new Name(NameString.of(name), value);
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        out.write(NAME_OP);
        name.encodeTo(out);
        value.encodeTo(out);
    }
}
