package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * {@code Device(name) {…}}: DefDevice := DeviceOp (ExtOpPrefix 0x5B, 0x82) PkgLength NameString TermList
 * (ACPI 6.5 §20.2.5.2).
 */
public record Device(NameString name, List<AmlTerm> terms) implements AmlTerm {

    static final byte[] DEVICE_OP = {0x5B, (byte) 0x82};

    public Device {
        terms = List.copyOf(terms);
    }

    public static Device of(String name, AmlTerm... terms) {
        return new Device(NameString.of(name), List.of(terms));
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        PkgLength.writePackage(out, DEVICE_OP, name.toBytes(), terms);
    }
}
