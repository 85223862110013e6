package dev.paddock.runtime.acpi.aml;

import static dev.paddock.runtime.acpi.aml.AmlAssertions.assertEncodes;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** ACPI 6.5 §20.2.5: DefName, DefScope, DefDevice, DefMethod, DefReturn, DefBuffer, DefPackage. */
class NamedObjectTest {

    @Test
    void nameIsNameOpNameStringValue() {
        // NameOp 0x08, "_CCA", OneOp.
        assertEncodes(Name.of("_CCA", AmlInteger.ONE), "08 5f434341 01");
    }

    @Test
    void deviceIsExtOpDeviceOpPkgLengthNameTerms() {
        // 5B 82, PkgLength = 1 + 4 (name) + 6 (Name(_UID, Zero)) = 11 = 0x0B.
        assertEncodes(Device.of("V000", Name.of("_UID", AmlInteger.ZERO)), "5b82 0b 56303030 08 5f554944 00");
    }

    @Test
    void scopeIsScopeOpPkgLengthNameTerms() {
        // 0x10, PkgLength = 1 + 5 (\_SB_) + 7 (empty device: 5B 82 05 "V000") = 13 = 0x0D.
        assertEncodes(Scope.of("\\_SB_", List.of(Device.of("V000"))), "10 0d 5c5f53425f 5b82 05 56303030");
    }

    @Test
    void deviceWithLongBodyUsesTwoBytePkgLength() {
        Name[] names = new Name[10];
        for (int i = 0; i < names.length; i++) {
            names[i] = Name.of("N%03d".formatted(i), AmlInteger.ZERO); // 6 bytes each
        }
        // content = 4 (name) + 60 = 64; PkgLength = 64 + 2 = 66 = 0x042 -> 42 04.
        byte[] bytes = Device.of("DEV0", names).toBytes();
        AmlAssertions.assertHex(java.util.Arrays.copyOf(bytes, 8), "5b82 4204 44455630");
    }

    @Test
    void methodCarriesArgCountSerializeAndSyncLevel() {
        // 0x14, PkgLength = 1 + 4 + 1 (flags) + 2 (Return One) = 8; flags: 2 args, serialized (bit 3), sync 1 (bits 7-4).
        assertEncodes(new Method(NameString.of("_STA"), 2, true, 1, List.of(new Return(AmlInteger.ONE))), "14 08 5f535441 1a a401");
        assertEncodes(Method.of("_STA", 0, new Return(AmlInteger.of(0x0F))), "14 09 5f535441 00 a4 0a0f");
        assertThatThrownBy(() -> Method.of("_STA", 8)).hasMessageContaining("0 to 7");
    }

    @Test
    void bufferIsBufferOpPkgLengthSizeBytes() {
        // 0x11, PkgLength = 1 + 2 (BytePrefix 3) + 3 = 6, then the bytes.
        assertEncodes(new AmlBuffer(new byte[] {1, 2, 3}), "11 06 0a03 010203");
        // An empty buffer: size ZeroOp.
        assertEncodes(new AmlBuffer(new byte[0]), "11 02 00");
    }

    @Test
    void packageIsPackageOpPkgLengthCountElements() {
        // 0x12, PkgLength = 1 + 1 (NumElements) + 2 (BytePrefix 5) + 1 (ZeroOp) = 5.
        assertEncodes(AmlPackage.of(AmlInteger.of(5), AmlInteger.ZERO), "12 05 02 0a05 00");
    }
}
