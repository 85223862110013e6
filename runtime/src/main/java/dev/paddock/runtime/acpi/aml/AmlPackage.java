package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * {@code Package() {elements}}: DefPackage := PackageOp (0x12) PkgLength NumElements PackageElementList
 * (ACPI 6.5 §20.2.5.4), NumElements being one byte, so at most 255 elements.
 */
public record AmlPackage(List<AmlTerm> elements) implements AmlTerm {

    static final byte[] PACKAGE_OP = {0x12};

    public AmlPackage {
        elements = List.copyOf(elements);
        if (elements.size() > 255) {
            throw new IllegalArgumentException("AML package of %d elements: NumElements is one byte, at most 255 (use VarPackage) (ACPI §20.2.5.4)"
                    .formatted(elements.size()));
        }
    }

    public static AmlPackage of(AmlTerm... elements) {
        return new AmlPackage(List.of(elements));
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        PkgLength.writePackage(out, PACKAGE_OP, new byte[] {(byte) elements.size()}, elements);
    }
}
