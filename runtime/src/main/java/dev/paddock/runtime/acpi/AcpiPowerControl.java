package dev.paddock.runtime.acpi;

import dev.paddock.runtime.bus.BusDevice;
import java.util.Arrays;
import java.util.Objects;

/**
 * The one I/O port a hardware-reduced platform needs for power-off and reset: the FADT names it as
 * SLEEP_CONTROL_REG, SLEEP_STATUS_REG and RESET_REG at once (ACPI 6.5 §4.8.3.7, §4.8.3.8, §4.8.3.6),
 * and the DSDT's {@code \_S5} gives the sleep type for soft-off. Cloud Hypervisor uses the same
 * single-port shape.
 *
 * <p>What the guest writes, one byte:
 * <ul>
 * <li>Sleep control (§4.8.3.7): bit 5 SLP_EN, bits 4–2 SLP_TYPx. With SLP_EN and {@link #S5_SLEEP_TYPE}
 *     it is a power-off request (Linux: {@code (SLP_TYPa << 2) | 0x20} = 0x34). Other sleep types are
 *     ignored: we describe no other \_Sx object.</li>
 * <li>Sleep status (§4.8.3.8): the guest writes WAK_STS (0x80) to clear it first; ignored. Reads return
 *     0: the machine never wakes from S5, and from S0 there is nothing to report.</li>
 * <li>Reset (§4.8.3.6): {@link #RESET_VALUE}, which has neither SLP_EN nor WAK_STS set, so the three
 *     uses never collide.</li>
 * </ul>
 */
public final class AcpiPowerControl implements BusDevice {

    /** I/O port of the register; out of the way of the PIC, PIT, i8042, ELCR and COM ports. */
    public static final int PORT = 0x600;
    /** One byte wide: the FADT's Generic Address Structures say 8 bits, byte access. */
    public static final int PORT_LENGTH = 1;

    static final int SLP_EN = 1 << 5;
    static final int SLP_TYP_SHIFT = 2;
    static final int SLP_TYP_MASK = 0x7;
    /** SLP_TYPa for S5, as the DSDT's {@code Name (\_S5, Package () {5, 0, 0, 0})} says. */
    public static final int S5_SLEEP_TYPE = 5;
    /** The FADT's RESET_VALUE. */
    public static final int RESET_VALUE = 0x01;

    private final GuestPowerListener listener;

    public AcpiPowerControl(GuestPowerListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void read(long offset, byte[] data) {
        // WAK_STS and every other status bit read as zero.
        Arrays.fill(data, (byte) 0);
    }

    @Override
    public void write(long offset, byte[] data) {
        // GUEST-CONTROLLED: offset, width and value. Only a one-byte write at offset 0 means anything;
        // the rest are ignored, as the BusDevice contract asks.
        if (offset != 0 || data.length != 1) {
            return;
        }
        int value = data[0] & 0xFF;
        if ((value & SLP_EN) != 0) {
            if (((value >>> SLP_TYP_SHIFT) & SLP_TYP_MASK) == S5_SLEEP_TYPE) {
                listener.powerOffRequested();
            }
        } else if (value == RESET_VALUE) {
            listener.resetRequested();
        }
    }
}
