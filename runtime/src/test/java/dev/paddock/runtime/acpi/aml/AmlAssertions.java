package dev.paddock.runtime.acpi.aml;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;

/** Byte-for-byte comparison of an encoding against a hex string written from the spec. */
final class AmlAssertions {
    private AmlAssertions() {}

    static void assertEncodes(AmlTerm term, String expectedHex) {
        assertHex(term.toBytes(), expectedHex);
    }

    static void assertHex(byte[] actual, String expectedHex) {
        String expected = expectedHex.replace(" ", "").toLowerCase();
        assertThat(HexFormat.of().formatHex(actual)).isEqualTo(expected);
    }

    static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }
}
