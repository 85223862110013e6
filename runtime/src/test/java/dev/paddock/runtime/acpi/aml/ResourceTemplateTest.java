package dev.paddock.runtime.acpi.aml;

import static dev.paddock.runtime.acpi.aml.AmlAssertions.assertEncodes;
import static dev.paddock.runtime.acpi.aml.AmlAssertions.assertHex;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** ACPI 6.5 §6.4: resource data descriptors, and the Buffer a ResourceTemplate compiles to. */
class ResourceTemplateTest {

    private static byte[] bytes(ResourceDescriptor descriptor) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        descriptor.encodeTo(out);
        return out.toByteArray();
    }

    @Test
    void memory32FixedIsLargeType6() {
        // §6.4.3.4: 0x86, length 0x0009, info bit 0 = read-write, base, length (LE32).
        assertHex(bytes(new Memory32Fixed(true, 0xC0001000L, 0x1000)), "86 0900 01 001000c0 00100000");
        assertHex(bytes(new Memory32Fixed(false, 0xFED00000L, 0x400)), "86 0900 00 0000d0fe 00040000");
        assertThatThrownBy(() -> new Memory32Fixed(true, 0xFFFFF000L, 0x2000)).hasMessageContaining("below 4 GiB");
    }

    @Test
    void ioPortIsSmallType8Length7() {
        // §6.4.2.5: (0x08 << 3) | 7 = 0x47, info bit 0 = Decode16, min, max (LE16), alignment, length.
        assertHex(bytes(IoPort.fixed(0x3F8, 8)), "47 01 f803 f803 01 08");
        assertHex(bytes(new IoPort(false, 0x60, 0x60, 0, 1)), "47 00 6000 6000 00 01");
        assertThatThrownBy(() -> IoPort.fixed(0x10000, 1)).hasMessageContaining("16-bit");
    }

    @Test
    void irqIsSmallType4WithOrWithoutFlags() {
        // §6.4.2.1: IRQNoFlags = (0x04 << 3) | 2 = 0x22, mask bit n for IRQ n.
        assertHex(bytes(Irq.noFlags(4)), "22 1000");
        assertHex(bytes(Irq.noFlags(1)), "22 0200");
        // With flags: 0x23; level (bit 0 clear), active-low (bit 3), shared (bit 4) = 0x18.
        assertHex(bytes(new Irq(9, true, false, true, true)), "23 0002 18");
        assertHex(bytes(new Irq(12, true, true, false, false)), "23 0010 01");
        assertThatThrownBy(() -> Irq.noFlags(16)).hasMessageContaining("0 to 15");
    }

    @Test
    void extendedInterruptIsLargeType9() {
        // §6.4.3.6: 0x89, length 0x0006, flags consumer|edge = 0x03, table length 1, GSI (LE32).
        assertHex(bytes(ExtendedInterrupt.edgeActiveHigh(5)), "89 0600 03 01 05000000");
        assertHex(bytes(ExtendedInterrupt.edgeActiveHigh(23)), "89 0600 03 01 17000000");
        // Producer, level, active-low, shared: bits 2 and 3 = 0x0C.
        assertHex(bytes(new ExtendedInterrupt(false, false, true, true, 0x100)), "89 0600 0c 01 00010000");
    }

    @Test
    void templateIsABufferEndedByEndTag() {
        // Memory32Fixed (12 bytes) + Interrupt (9) + End Tag 79 00 (§6.4.2.9, checksum 0) = 23 bytes.
        // Buffer: 0x11, PkgLength 1 + 2 (BytePrefix 23) + 23 = 26 = 0x1A.
        assertEncodes(ResourceTemplate.of(new Memory32Fixed(true, 0xC0001000L, 0x1000), ExtendedInterrupt.edgeActiveHigh(5)),
                "11 1a 0a17 86090001001000c000100000 89060003 0105000000 7900");
        // An empty template is just the End Tag: PkgLength 1 + 2 (BytePrefix 2) + 2 = 5.
        assertEncodes(ResourceTemplate.of(), "11 05 0a02 7900");
    }
}
