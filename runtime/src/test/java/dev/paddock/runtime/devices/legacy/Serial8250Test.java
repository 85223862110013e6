package dev.paddock.runtime.devices.legacy;

import static dev.paddock.runtime.devices.legacy.Serial8250.*;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Serial8250Test {
    private final CountingInterrupt irq = new CountingInterrupt();
    private int wakeups;
    private final ConsoleBuffer console = new ConsoleBuffer(64, () -> wakeups++, () -> { });
    private final Serial8250 uart = new Serial8250(irq, console);

    private int in(int offset) {
        byte[] b = new byte[1];
        uart.read(offset, b);
        return b[0] & 0xFF;
    }

    private void out(int offset, int value) {
        uart.write(offset, new byte[] {(byte) value});
    }

    @Test
    void transmittedBytesGoToTheConsoleWithOneWakeupPerLine() {
        for (byte b : "hi\n".getBytes(StandardCharsets.US_ASCII)) {
            out(RX_TX, b);
        }
        assertThat(new String(console.drain(), StandardCharsets.US_ASCII)).isEqualTo("hi\n");
        assertThat(wakeups).isEqualTo(1);
        assertThat(irq.edges).as("THRI is not enabled").isZero();
    }

    @Test
    void lineStatusAlwaysShowsAnEmptyTransmitterAndDataReadyWhenInputWaits() {
        assertThat(in(LSR)).isEqualTo(LSR_THRE | LSR_TEMT);
        uart.enqueueInput(new byte[] {'x'}, 0, 1);
        assertThat(in(LSR)).isEqualTo(LSR_THRE | LSR_TEMT | LSR_DR);
        assertThat(in(RX_TX)).isEqualTo('x');
        assertThat(in(LSR)).isEqualTo(LSR_THRE | LSR_TEMT);
        assertThat(in(RX_TX)).as("empty receiver").isZero();
    }

    @Test
    void dlabSwitchesOffsetsZeroAndOneToTheDivisorLatches() {
        out(LCR, 0x80 | 0x03);
        out(RX_TX, 0x01);
        out(IER, 0x00);
        assertThat(in(RX_TX)).isEqualTo(0x01);
        assertThat(in(IER)).isZero();
        assertThat(console.drain()).as("a divisor write is not output").isEmpty();
        out(LCR, 0x03);
        out(IER, 0x0F);
        assertThat(in(IER)).isEqualTo(0x0F);
        out(LCR, 0x83);
        assertThat(in(RX_TX)).isEqualTo(0x01);
        assertThat(in(IER)).as("DLM untouched by the IER write").isZero();
        assertThat(in(LCR)).isEqualTo(0x83);
    }

    @Test
    void ierKeepsOnlyItsFourBits() {
        out(IER, 0xFF);
        assertThat(in(IER)).isEqualTo(IER_MASK);
    }

    @Test
    void enablingThriRaisesTheThrEmptyInterruptAndReadingIirClearsIt() {
        assertThat(in(IIR_FCR)).isEqualTo(IIR_NO_INT | IIR_FIFO_BITS);
        out(IER, IER_THRI);
        assertThat(irq.takeEdges()).isEqualTo(1);
        assertThat(in(IIR_FCR)).isEqualTo(IIR_THRI | IIR_FIFO_BITS);
        assertThat(in(IIR_FCR)).as("cleared by the read").isEqualTo(IIR_NO_INT | IIR_FIFO_BITS);
        out(RX_TX, 'a');
        assertThat(irq.takeEdges()).as("each THR write empties at once").isEqualTo(1);
        assertThat(in(IIR_FCR)).isEqualTo(IIR_THRI | IIR_FIFO_BITS);
    }

    @Test
    void aBurstOfWritesRaisesOneEdgeUntilTheGuestReadsIir() {
        out(IER, IER_THRI);
        assertThat(in(IIR_FCR) & 0x0F).isEqualTo(IIR_THRI);
        irq.takeEdges();
        for (int i = 0; i < 16; i++) {
            out(RX_TX, 'x');
        }
        assertThat(irq.takeEdges()).as("one edge for the burst; the interrupt stays pending").isEqualTo(1);
        assertThat(in(IIR_FCR) & 0x0F).isEqualTo(IIR_THRI);
        out(RX_TX, 'y');
        assertThat(irq.takeEdges()).as("after IIR cleared it, the next write raises it again").isEqualTo(1);
    }

    @Test
    void linuxsThreTestSeesTheInterruptReassert() {
        // serial8250_do_startup: IER=THRI, read IIR, IER=0, IER=THRI, read IIR: both must show an interrupt.
        out(IER, IER_THRI);
        int iir1 = in(IIR_FCR);
        out(IER, 0);
        out(IER, IER_THRI);
        int iir2 = in(IIR_FCR);
        assertThat(iir1 & IIR_NO_INT).isZero();
        assertThat(iir2 & IIR_NO_INT).isZero();
    }

    @Test
    void receivedDataRaisesTheRxInterruptWhenEnabledAndTakesPriority() {
        uart.enqueueInput(new byte[] {'a', 'b'}, 0, 2);
        assertThat(irq.takeEdges()).as("RDI off").isZero();
        out(IER, IER_RDI | IER_THRI);
        assertThat(irq.takeEdges()).isEqualTo(1);
        assertThat(in(IIR_FCR) & 0x0F).isEqualTo(IIR_RDI);
        assertThat(irq.takeEdges()).as("data still pending after the IIR read: another edge").isEqualTo(1);
        assertThat(in(RX_TX)).isEqualTo('a');
        assertThat(in(RX_TX)).isEqualTo('b');
        assertThat(in(IIR_FCR) & 0x0F).as("then the THRE interrupt").isEqualTo(IIR_THRI);
        uart.enqueueInput(new byte[] {'c'}, 0, 1);
        assertThat(irq.takeEdges()).isEqualTo(1);
    }

    @Test
    void inputBeyondTheFifoIsRefusedNotDropped() {
        byte[] big = new byte[INPUT_CAPACITY + 10];
        assertThat(uart.enqueueInput(big, 0, big.length)).isEqualTo(INPUT_CAPACITY);
        assertThat(uart.enqueueInput(big, 0, 1)).isZero();
        in(RX_TX);
        assertThat(uart.enqueueInput(new byte[] {7}, 0, 1)).isEqualTo(1);
        assertThat(uart.pendingInput()).isEqualTo(INPUT_CAPACITY);
    }

    @Test
    void loopbackFeedsTransmitToReceiveAndMirrorsModemControl() {
        assertThat(in(MSR)).isEqualTo(MSR_DCD | MSR_DSR | MSR_CTS);
        out(MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
        assertThat(in(MSR)).isEqualTo(MSR_DCD | MSR_CTS);
        out(MCR, MCR_LOOP | MCR_OUT1 | MCR_DTR);
        assertThat(in(MSR)).isEqualTo(MSR_RI | MSR_DSR);
        out(RX_TX, 0x5A);
        assertThat(console.drain()).as("nothing leaves in loopback").isEmpty();
        assertThat(in(LSR) & LSR_DR).isEqualTo(LSR_DR);
        assertThat(in(RX_TX)).isEqualTo(0x5A);
        out(MCR, 0xFF);
        assertThat(in(MCR)).isEqualTo(MCR_MASK);
    }

    @Test
    void scratchRegisterHoldsAByte() {
        out(SCR, 0xA5);
        assertThat(in(SCR)).isEqualTo(0xA5);
    }

    @Test
    void wideAccessesUseTheLowByteAndReadZerosAbove() {
        uart.write(SCR, new byte[] {0x11, 0x22, 0x33, 0x44});
        byte[] b = {9, 9, 9, 9};
        uart.read(SCR, b);
        assertThat(b).containsExactly(0x11, 0, 0, 0);
    }

    @Test
    void aFullConsoleDropsAndCountsInsteadOfBlocking() {
        for (int i = 0; i < 100; i++) {
            out(RX_TX, 'x');
        }
        assertThat(console.dropped()).isEqualTo(36);
        assertThat(console.drain()).hasSize(64);
    }
}
