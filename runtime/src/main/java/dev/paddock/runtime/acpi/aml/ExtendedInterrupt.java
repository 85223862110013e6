package dev.paddock.runtime.acpi.aml;

import java.io.ByteArrayOutputStream;

/**
 * {@code Interrupt(ResourceConsumer|ResourceProducer, Edge|Level, ActiveHigh|ActiveLow,
 * Exclusive|Shared){gsi}}: the Extended Interrupt Descriptor (ACPI 6.5 §6.4.3.6) for one interrupt and no
 * resource source: tag 0x89, length 0x0006, flags (bit 0 consumer, bit 1 _HE edge, bit 2 _LL active-low,
 * bit 3 _SHR shared), interrupt table length 1, the GSI as 32-bit LE.
 *
 * <p>Consumer, edge, active-high, exclusive therefore encodes as {@code 89 06 00 03 01 gsi}.
 */
public record ExtendedInterrupt(boolean consumer, boolean edge, boolean activeLow, boolean shared, long gsi) implements ResourceDescriptor {

    static final int TAG = 0x89;
    /** Flags byte and table-length byte, then one 32-bit interrupt number. */
    static final int DATA_LENGTH = 2 + 4;

    public ExtendedInterrupt {
        if (gsi < 0 || gsi > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("interrupt number %d must be a 32-bit unsigned GSI (ACPI §6.4.3.6)".formatted(gsi));
        }
    }

    /** How a virtio-mmio device's irqfd line looks: consumer, edge-triggered, active-high, exclusive. */
    public static ExtendedInterrupt edgeActiveHigh(long gsi) {
        return new ExtendedInterrupt(true, true, false, false, gsi);
    }

    @Override
    public void encodeTo(ByteArrayOutputStream out) {
        out.write(TAG);
        AmlInteger.writeLittleEndian(out, DATA_LENGTH, 2);
        out.write((consumer ? 0x01 : 0) | (edge ? 0x02 : 0) | (activeLow ? 0x04 : 0) | (shared ? 0x08 : 0));
        out.write(1);
        AmlInteger.writeLittleEndian(out, gsi, 4);
    }
}
