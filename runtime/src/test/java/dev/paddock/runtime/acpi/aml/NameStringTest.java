package dev.paddock.runtime.acpi.aml;

import static dev.paddock.runtime.acpi.aml.AmlAssertions.assertEncodes;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** ACPI 6.5 §20.2.2: NameSeg, RootChar 0x5C, ParentPrefixChar 0x5E, DualNamePrefix 0x2E, MultiNamePrefix 0x2F, NullName 0x00. */
class NameStringTest {

    @Test
    void oneSegmentIsFourCharacters() {
        assertEncodes(NameString.of("_HID"), "5f484944");
        assertEncodes(NameString.of("V000"), "56303030");
    }

    @Test
    void shortSegmentsArePaddedWithUnderscore() {
        assertEncodes(NameString.of("_SB"), "5f53425f");
        assertEncodes(NameString.of("\\_SB"), "5c 5f53425f");
    }

    @Test
    void rootAndParentPrefixes() {
        assertEncodes(NameString.of("\\_SB_"), "5c 5f53425f");
        assertEncodes(NameString.of("^^COM1"), "5e5e 434f4d31");
        assertEncodes(NameString.of("\\"), "5c 00");
    }

    @Test
    void twoSegmentsUseDualNamePrefix() {
        assertEncodes(NameString.of("\\_SB_.V000"), "5c 2e 5f53425f 56303030");
    }

    @Test
    void threeOrMoreSegmentsUseMultiNamePrefixAndCount() {
        assertEncodes(NameString.of("\\_SB_.PCI0.S08_"), "5c 2f 03 5f53425f 50434930 5330385f");
    }

    @Test
    void rejectsInvalidSegments() {
        assertThatThrownBy(() -> NameString.of("0ABC")).hasMessageContaining("'0'");
        assertThatThrownBy(() -> NameString.of("ABCDE")).hasMessageContaining("1 to 4 characters");
        assertThatThrownBy(() -> NameString.of("abc")).hasMessageContaining("'a'");
        assertThatThrownBy(() -> NameString.of("\\_SB_..V000")).hasMessageContaining("1 to 4 characters");
        assertThatThrownBy(() -> NameString.of("")).hasMessageContaining("empty");
    }
}
