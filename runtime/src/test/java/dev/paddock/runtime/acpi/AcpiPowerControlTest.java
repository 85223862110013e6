package dev.paddock.runtime.acpi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ACPI 6.5 §4.8.3.6-§4.8.3.8 as Linux drives them (acpica/hwesleep.c, drivers/acpi/reboot.c). */
class AcpiPowerControlTest {

    private final List<String> requests = new ArrayList<>();
    private final AcpiPowerControl port = new AcpiPowerControl(new GuestPowerListener() {
        @Override
        public void powerOffRequested() {
            requests.add("off");
        }

        @Override
        public void resetRequested() {
            requests.add("reset");
        }
    });

    private void write(long offset, int... bytes) {
        byte[] data = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            data[i] = (byte) bytes[i];
        }
        port.write(offset, data);
    }

    @Test
    void linuxPowerOffSequenceRequestsPowerOff() {
        write(0, 0x80);                 // clear WAK_STS in the sleep status register
        assertThat(requests).isEmpty();
        write(0, (5 << 2) | 0x20);      // SLP_TYPa = 5 from \_S5, SLP_EN: 0x34
        assertThat(requests).containsExactly("off");
    }

    @Test
    void resetValueRequestsReset() {
        write(0, AcpiPowerControl.RESET_VALUE);
        assertThat(requests).containsExactly("reset");
    }

    @Test
    void otherSleepTypesAndValuesAreIgnored() {
        write(0, (3 << 2) | 0x20);      // S3-like type: we describe no \_S3
        write(0, 5 << 2);               // SLP_TYP 5 without SLP_EN
        write(0, 0x02);
        write(0, 0xFF & ~0x20 & ~0x01);
        assertThat(requests).isEmpty();
    }

    @Test
    void wrongWidthOrOffsetIsIgnored() {
        write(0, 0x34, 0x00);           // 16-bit write
        write(1, 0x34);                 // beyond the one-byte register
        write(0);                       // zero-length
        assertThat(requests).isEmpty();
    }

    @Test
    void statusReadsZeroAtAnyWidth() {
        byte[] one = {(byte) 0xAA};
        port.read(0, one);
        assertThat(one).containsExactly(0);
        byte[] four = {1, 2, 3, 4};
        port.read(0, four);
        assertThat(four).containsExactly(0, 0, 0, 0);
    }
}
