package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/**
 * A compressed EISA ID such as {@code EISAID("PNP0501")} (ACPI 6.5 §19.6.35, "EISAID"; the _HID rule
 * of §6.1.5): three uppercase letters of five bits each ({@code letter − 0x40}) in bits 30–16, four hex
 * digits in bits 15–0, and the 32-bit result stored most significant byte first, i.e. the DWord constant
 * is that value byte-swapped. {@code "PNP0501"} becomes 0x0105D041.
 *
 * <p>Always written with DWordPrefix, as ASL compilers do, even when a shorter integer encoding would
 * hold the value: disassemblers recognise a _HID DWord as an EISA ID.
 */
public record EisaId(String id) implements AmlTerm {

    public EisaId {
        if (id.length() != 7 || !isVendorLetters(id.substring(0, 3)) || !id.substring(3).matches("[0-9A-F]{4}")) {
            throw new IllegalArgumentException("EISA ID \"%s\" must be three uppercase letters and four uppercase hex digits, e.g. \"PNP0501\" (ACPI §19.6.35)"
                    .formatted(id));
        }
    }

    public static EisaId of(String id) {
        return new EisaId(id);
    }

    /** The DWord as AML stores it (already byte-swapped). */
    public int encodedValue() {
        int packed = ((id.charAt(0) - 0x40) << 26)
                | ((id.charAt(1) - 0x40) << 21)
                | ((id.charAt(2) - 0x40) << 16)
                | Integer.parseInt(id.substring(3), 16);
        return Integer.reverseBytes(packed);
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        out.write(AmlInteger.DWORD_PREFIX);
        AmlInteger.writeLittleEndian(out, encodedValue(), 4);
    }

    private static boolean isVendorLetters(String letters) {
        return letters.chars().allMatch(c -> c >= 'A' && c <= 'Z');
    }
}
