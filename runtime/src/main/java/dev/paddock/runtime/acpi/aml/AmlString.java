package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/**
 * An AML string constant (ACPI 6.5 §20.2.3): StringPrefix 0x0D, ASCII characters 0x01–0x7F, NullChar.
 */
public record AmlString(String value) implements AmlTerm {

    static final int STRING_PREFIX = 0x0D;

    public AmlString {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x01 || c > 0x7F) {
                throw new IllegalArgumentException("AML string \"%s\": character 0x%X at %d is outside AsciiCharList 0x01-0x7F (ACPI §20.2.3)"
                        .formatted(value, (int) c, i));
            }
        }
    }

    public static AmlString of(String value) {
        return new AmlString(value);
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        out.write(STRING_PREFIX);
        for (int i = 0; i < value.length(); i++) {
            out.write(value.charAt(i));
        }
        out.write(0);
    }
}
