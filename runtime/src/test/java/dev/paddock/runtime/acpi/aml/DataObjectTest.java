package dev.paddock.runtime.acpi.aml;

import static dev.paddock.runtime.acpi.aml.AmlAssertions.assertEncodes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** ACPI 6.5 §20.2.3 (integers, strings), §19.6.35 (EISAID). */
class DataObjectTest {

    @Test
    void integersUseTheShortestPrefix() {
        assertEncodes(AmlInteger.of(0), "00");                    // ZeroOp
        assertEncodes(AmlInteger.of(1), "01");                    // OneOp
        assertEncodes(AmlInteger.of(2), "0a 02");                 // BytePrefix
        assertEncodes(AmlInteger.of(0xFF), "0a ff");
        assertEncodes(AmlInteger.of(0x100), "0b 0001");           // WordPrefix, little-endian
        assertEncodes(AmlInteger.of(0x3F8), "0b f803");
        assertEncodes(AmlInteger.of(0x10000), "0c 00000100");     // DWordPrefix
        assertEncodes(AmlInteger.of(0xC0001000L), "0c 0010 00c0");
        assertEncodes(AmlInteger.of(0x1_0000_0000L), "0e 0000000001000000"); // QWordPrefix
        assertEncodes(AmlInteger.of(-1), "0e ffffffffffffffff");  // never OnesOp
    }

    @Test
    void stringsAreNulTerminatedAscii() {
        // StringPrefix 0x0D, "LNRO0005", NullChar.
        assertEncodes(AmlString.of("LNRO0005"), "0d 4c4e524f30303035 00");
        assertEncodes(AmlString.of(""), "0d 00");
        assertThatThrownBy(() -> AmlString.of("é")).hasMessageContaining("0x01-0x7F");
    }

    @Test
    void eisaIdCompressesToTheByteSwappedDword() {
        // P=0x10 N=0x0E P=0x10: (0x10<<26)|(0x0E<<21)|(0x10<<16)|0x0501 = 0x41D00501, stored MSB first.
        assertThat(EisaId.of("PNP0501").encodedValue()).isEqualTo(0x0105D041);
        assertEncodes(EisaId.of("PNP0501"), "0c 41d00501");
        assertEncodes(EisaId.of("PNP0303"), "0c 41d00303");
        // Always a DWord, even when the value would fit a Word (PNP0000 -> 0x0000D041).
        assertEncodes(EisaId.of("PNP0000"), "0c 41d00000");
        assertThatThrownBy(() -> EisaId.of("pnp0501")).hasMessageContaining("three uppercase letters");
        assertThatThrownBy(() -> EisaId.of("PNP05011")).isInstanceOf(IllegalArgumentException.class);
    }
}
