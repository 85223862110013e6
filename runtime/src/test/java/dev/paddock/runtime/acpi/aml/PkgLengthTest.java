package dev.paddock.runtime.acpi.aml;

import static dev.paddock.runtime.acpi.aml.AmlAssertions.assertHex;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * ACPI 6.5 §20.2.4: lead byte bits 7-6 = count of following bytes; one byte holds 0-63 in bits 5-0;
 * otherwise bits 3-0 are the low nibble and each following byte the next 8 bits. The value counts the
 * PkgLength bytes too.
 */
class PkgLengthTest {

    @Test
    void oneByteUpToSixtyThree() {
        assertHex(PkgLength.forContent(0), "01");
        assertHex(PkgLength.forContent(10), "0b");
        // 62 content + 1 = 63 = 0x3F, the one-byte maximum.
        assertHex(PkgLength.forContent(62), "3f");
    }

    @Test
    void twoBytesFromSixtyFour() {
        // 63 content + 2 = 65 = 0x041: lead 0x40 | 0x1, then 0x04.
        assertHex(PkgLength.forContent(63), "4104");
        // 0xFFF - 2 content + 2 = 0xFFF, the two-byte maximum: lead 0x4F, then 0xFF.
        assertHex(PkgLength.forContent(0xFFD), "4fff");
    }

    @Test
    void threeAndFourBytes() {
        // 0xFFE content + 3 = 0x1001: lead 0x80 | 0x1, then 0x00, 0x01.
        assertHex(PkgLength.forContent(0xFFE), "810001");
        // 0xFFFFC content + 3 = 0xFFFFF, the three-byte maximum.
        assertHex(PkgLength.forContent(0xFFFFC), "8fffff");
        // 0xFFFFD content + 4 = 0x100001: lead 0xC0 | 0x1, then 0x00, 0x00, 0x01.
        assertHex(PkgLength.forContent(0xFFFFD), "c1000001");
        // 2^28 - 1 is the four-byte maximum.
        assertHex(PkgLength.forContent(PkgLength.MAX - 4), "cfffffff");
    }

    @Test
    void rejectsWhatFourBytesCannotHold() {
        assertThatThrownBy(() -> PkgLength.forContent(PkgLength.MAX - 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PkgLength maximum");
        assertThatThrownBy(() -> PkgLength.forContent(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
