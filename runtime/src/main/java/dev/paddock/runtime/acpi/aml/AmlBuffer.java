package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * {@code Buffer() {bytes}}: DefBuffer := BufferOp (0x11) PkgLength BufferSize ByteList (ACPI 6.5
 * §20.2.5.4), where BufferSize is an integer term giving the byte count.
 */
public record AmlBuffer(byte[] bytes) implements AmlTerm {

    static final byte[] BUFFER_OP = {0x11};

    public AmlBuffer {
        bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        AmlInteger.of(bytes.length).encodeTo(head);
        head.writeBytes(bytes);
        PkgLength.writePackage(out, BUFFER_OP, head.toByteArray(), List.of());
    }
}
