package dev.paddock.runtime.devices.legacy;

import static dev.paddock.runtime.devices.legacy.I8042.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.runtime.bus.BusDevice;
import org.junit.jupiter.api.Test;

class I8042Test {
    private final CountingInterrupt irq = new CountingInterrupt();
    private int resets;
    private final I8042 i8042 = new I8042(irq, () -> resets++);
    private final BusDevice data = i8042.dataPort();
    private final BusDevice command = i8042.commandPort();

    private int status() {
        byte[] b = new byte[1];
        command.read(0, b);
        return b[0] & 0xFF;
    }

    private int readData() {
        byte[] b = new byte[1];
        data.read(0, b);
        return b[0] & 0xFF;
    }

    private void command(int c) {
        command.write(0, new byte[] {(byte) c});
    }

    private void writeData(int v) {
        data.write(0, new byte[] {(byte) v});
    }

    @Test
    void command0xFEResetsTheCpu() {
        command(CMD_PULSE_RESET);
        assertThat(resets).isEqualTo(1);
    }

    @Test
    void pulsingOtherLinesDoesNotReset() {
        command(0xFF); // pulse nothing
        command(0xFD);
        assertThat(resets).isZero();
    }

    @Test
    void writingTheOutputPortWithTheResetLineLowResets() {
        command(CMD_WRITE_OUTPUT_PORT);
        writeData(0x01);
        assertThat(resets).isZero();
        command(CMD_WRITE_OUTPUT_PORT);
        writeData(0x00);
        assertThat(resets).isEqualTo(1);
    }

    @Test
    void anIdleControllerHasNothingToReadAndPassedItsSelfTest() {
        assertThat(status()).isEqualTo(STR_SYSFLAG);
        assertThat(status() & STR_OBF).as("Linux's i8042_flush ends at once").isZero();
    }

    @Test
    void selfTestsAndTheCommandByteAnswerAsLinuxExpects() {
        command(CMD_CTL_TEST);
        assertThat(status() & STR_OBF).isEqualTo(STR_OBF);
        assertThat(readData()).isEqualTo(CTL_TEST_PASSED);
        assertThat(status() & STR_OBF).isZero();

        command(CMD_CTL_RCTR);
        int ctr = readData();
        assertThat(ctr & CTR_KBDINT).isEqualTo(CTR_KBDINT);
        command(CMD_CTL_WCTR);
        writeData(0x47 | CTR_AUXDIS);
        command(CMD_CTL_RCTR);
        assertThat(readData()).isEqualTo(0x47 | CTR_AUXDIS);

        command(CMD_KBD_TEST);
        assertThat(readData()).isEqualTo(PORT_TEST_PASSED);
        command(CMD_AUX_ENABLE);
        assertThat(i8042.commandByte() & CTR_AUXDIS).isZero();
        command(CMD_KBD_DISABLE);
        assertThat(i8042.commandByte() & CTR_KBDDIS).isEqualTo(CTR_KBDDIS);
    }

    @Test
    void theCmdDatStatusBitFollowsTheLastWrite() {
        command(CMD_AUX_DISABLE);
        assertThat(status() & STR_CMDDAT).isEqualTo(STR_CMDDAT);
        writeData(0xF4);
        assertThat(status() & STR_CMDDAT).isZero();
    }

    @Test
    void theKeyboardAcknowledgesAResetAndReportsItsIdWithInterrupts() {
        irq.takeEdges();
        writeData(KBD_CMD_RESET);
        assertThat(readData()).isEqualTo(KBD_ACK);
        assertThat(readData()).isEqualTo(KBD_SELF_TEST_PASSED);
        assertThat(irq.takeEdges()).as("one per byte").isEqualTo(2);
        writeData(KBD_CMD_GETID);
        assertThat(readData()).isEqualTo(KBD_ACK);
        assertThat(readData()).isEqualTo(0xAB);
        assertThat(readData()).isEqualTo(0x83);
        assertThat(status() & STR_OBF).isZero();
    }

    @Test
    void auxLoopbackMarksAuxDataAndRaisesNoKeyboardInterrupt() {
        irq.takeEdges();
        command(CMD_AUX_LOOP);
        writeData(0x5A);
        assertThat(status() & (STR_OBF | STR_AUXDATA)).isEqualTo(STR_OBF | STR_AUXDATA);
        assertThat(irq.edges).isZero();
        assertThat(readData()).isEqualTo(0x5A);
    }

    @Test
    void bytesForTheMissingMouseVanish() {
        command(CMD_AUX_SEND);
        writeData(0xFF);
        assertThat(status() & STR_OBF).isZero();
    }

    @Test
    void aCommandStormCannotGrowTheOutputQueue() {
        for (int i = 0; i < 1000; i++) {
            command(CMD_CTL_TEST);
        }
        int n = 0;
        while ((status() & STR_OBF) != 0) {
            readData();
            n++;
        }
        assertThat(n).isEqualTo(OUTPUT_CAPACITY);
    }
}
