package dev.paddock.runtime.devices.legacy;

import dev.paddock.runtime.bus.BusDevice;
import dev.paddock.runtime.bus.Interrupt;
import java.util.Objects;

/**
 * An 8250/16550A UART as Linux's 8250 driver sees it at COM1: the eight registers of
 * include/uapi/linux/serial_reg.h, transmit straight to a {@link ConsoleBuffer}, receive from a bounded input
 * FIFO fed by the host through {@link #enqueueInput}.
 *
 * <p>There is no line timing: the transmitter is always empty (LSR THRE|TEMT), so each THR write completes at
 * once and, with IER.THRI set, raises a "THR empty" interrupt again unless one is still pending. Interrupts are edge pulses on the
 * {@link Interrupt} (an irqfd on IRQ 4), raised whenever a new interrupt condition appears; a 16550's level
 * line is modelled by pulsing again when the guest reads IIR while received data is still pending.
 *
 * <p>All register accesses are 1 byte wide on real hardware; wider guest accesses use their low byte (writes)
 * and read the register in the low byte with zeros above. Thread-safe: several vCPUs and the host's input
 * thread may touch it at once.
 */
public final class Serial8250 implements BusDevice {
    /** Eight consecutive ports (serial_reg.h offsets 0–7). */
    public static final int PORT_COUNT = 8;
    /** Host input waiting for the guest to read it. */
    public static final int INPUT_CAPACITY = 64 * 1024;

    // Register offsets, include/uapi/linux/serial_reg.h.
    static final int RX_TX = 0;   // UART_RX / UART_TX; UART_DLL when LCR.DLAB
    static final int IER = 1;     // UART_IER; UART_DLM when LCR.DLAB
    static final int IIR_FCR = 2; // UART_IIR (read) / UART_FCR (write)
    static final int LCR = 3;
    static final int MCR = 4;
    static final int LSR = 5;
    static final int MSR = 6;
    static final int SCR = 7;

    static final int IER_RDI = 0x01;
    static final int IER_THRI = 0x02;
    static final int IER_MASK = 0x0F;

    static final int IIR_NO_INT = 0x01;
    static final int IIR_THRI = 0x02;
    static final int IIR_RDI = 0x04;
    /** A 16550A with its FIFOs enabled shows both bits; Linux's autoconfig then calls it a 16550A. */
    static final int IIR_FIFO_BITS = 0xC0;

    static final int LCR_DLAB = 0x80;

    static final int MCR_DTR = 0x01;
    static final int MCR_RTS = 0x02;
    static final int MCR_OUT1 = 0x04;
    static final int MCR_OUT2 = 0x08;
    static final int MCR_LOOP = 0x10;
    static final int MCR_MASK = 0x1F;

    static final int LSR_DR = 0x01;
    static final int LSR_THRE = 0x20;
    static final int LSR_TEMT = 0x40;

    static final int MSR_CTS = 0x10;
    static final int MSR_DSR = 0x20;
    static final int MSR_RI = 0x40;
    static final int MSR_DCD = 0x80;

    /** 115200 / 12 = 9600 baud, 8N1, OUT2 (the PC's IRQ enable): a UART after a PC BIOS set it up. */
    private static final int DEFAULT_DIVISOR = 12;
    private static final int DEFAULT_LCR = 0x03;
    private static final int DEFAULT_MCR = MCR_OUT2;
    private static final int DEFAULT_MSR = MSR_DCD | MSR_DSR | MSR_CTS;

    private final Interrupt interrupt;
    private final ConsoleBuffer output;

    private int divisor = DEFAULT_DIVISOR;
    private int ier;
    private int lcr = DEFAULT_LCR;
    private int mcr = DEFAULT_MCR;
    private int scr;
    private boolean thrEmptyPending;
    private final byte[] input = new byte[INPUT_CAPACITY];
    private int inputHead;
    private int inputSize;

    public Serial8250(Interrupt interrupt, ConsoleBuffer output) {
        this.interrupt = Objects.requireNonNull(interrupt, "interrupt");
        this.output = Objects.requireNonNull(output, "output");
    }

    @Override
    public void read(long offset, byte[] data) {
        int value;
        synchronized (this) {
            value = readRegister((int) offset);
        }
        data[0] = (byte) value;
        for (int i = 1; i < data.length; i++) {
            data[i] = 0;
        }
    }

    @Override
    public void write(long offset, byte[] data) {
        synchronized (this) {
            writeRegister((int) offset, data[0] & 0xFF);
        }
    }

    private int readRegister(int offset) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (offset) {
            case RX_TX:
                return dlab ? divisor & 0xFF : receive();
            case IER:
                return dlab ? (divisor >>> 8) & 0xFF : ier;
            case IIR_FCR:
                return readIir();
            case LCR:
                return lcr;
            case MCR:
                return mcr;
            case LSR:
                return LSR_THRE | LSR_TEMT | (inputSize > 0 ? LSR_DR : 0);
            case MSR:
                return (mcr & MCR_LOOP) != 0 ? loopbackModemStatus() : DEFAULT_MSR;
            case SCR:
                return scr;
            default:
                // GUEST-CONTROLLED: the bus only passes offsets 0..7; anything else reads as zero.
                return 0;
        }
    }

    private void writeRegister(int offset, int value) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (offset) {
            case RX_TX:
                if (dlab) {
                    divisor = (divisor & 0xFF00) | value;
                } else {
                    transmit((byte) value);
                }
                break;
            case IER:
                if (dlab) {
                    divisor = (divisor & 0x00FF) | (value << 8);
                } else {
                    writeIer(value);
                }
                break;
            case IIR_FCR:
                // FCR: the FIFOs have no timing to model, so enabling, clearing or the trigger level change nothing.
                break;
            case LCR:
                lcr = value;
                break;
            case MCR:
                mcr = value & MCR_MASK;
                break;
            case SCR:
                scr = value;
                break;
            default:
                // LSR and MSR are read-only; writes to them (and GUEST-CONTROLLED offsets past 7) are ignored.
                break;
        }
    }

    private void transmit(byte b) {
        if ((mcr & MCR_LOOP) != 0) {
            // Loopback: the transmitter feeds the receiver and nothing leaves the UART (Linux's autoconfig test).
            if (inputSize < input.length) {
                input[(inputHead + inputSize) % input.length] = b;
                inputSize++;
            }
            raiseIfEnabled(IER_RDI);
        } else {
            output.append(b);
        }
        // The byte leaves at once, so THR is empty again. Pulse only when that interrupt is not already pending:
        // a driver filling the 16-byte FIFO from its handler then costs one irqfd write per burst, not per byte,
        // and the pending edge brings it back for the next burst.
        boolean newlyPending = !thrEmptyPending;
        thrEmptyPending = true;
        if (newlyPending) {
            raiseIfEnabled(IER_THRI);
        }
    }

    private void writeIer(int value) {
        int enabled = value & ~ier;
        ier = value & IER_MASK;
        // A 16550 raises "THR empty" as soon as THRI is enabled while the transmitter is empty, which it always is.
        if ((enabled & IER_THRI) != 0) {
            thrEmptyPending = true;
        }
        if (((enabled & IER_THRI) != 0) || ((enabled & IER_RDI) != 0 && inputSize > 0)) {
            interrupt.trigger();
        }
    }

    private int receive() {
        if (inputSize == 0) {
            return 0;
        }
        int b = input[inputHead] & 0xFF;
        inputHead = (inputHead + 1) % input.length;
        inputSize--;
        return b;
    }

    private int readIir() {
        int id;
        if ((ier & IER_RDI) != 0 && inputSize > 0) {
            id = IIR_RDI;
            // Data still pending after this handler run must raise another edge, as a 16550's level line would.
            interrupt.trigger();
        } else if ((ier & IER_THRI) != 0 && thrEmptyPending) {
            id = IIR_THRI;
            thrEmptyPending = false; // reading IIR while it reports THRE clears that interrupt (16550 datasheet)
        } else {
            id = IIR_NO_INT;
        }
        return id | IIR_FIFO_BITS;
    }

    private int loopbackModemStatus() {
        int msr = 0;
        if ((mcr & MCR_RTS) != 0) msr |= MSR_CTS;
        if ((mcr & MCR_DTR) != 0) msr |= MSR_DSR;
        if ((mcr & MCR_OUT1) != 0) msr |= MSR_RI;
        if ((mcr & MCR_OUT2) != 0) msr |= MSR_DCD;
        return msr;
    }

    private void raiseIfEnabled(int ierBit) {
        if ((ier & ierBit) != 0) {
            interrupt.trigger();
        }
    }

    /**
     * Queues host input (keyboard bytes) for the guest to read from RBR, raising the receive interrupt when the
     * guest enabled it. Takes as many bytes as fit in the {@value #INPUT_CAPACITY}-byte FIFO and returns how
     * many that was: the caller keeps the rest and tries again once the guest has read some.
     */
    public int enqueueInput(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        synchronized (this) {
            int accepted = Math.min(length, input.length - inputSize);
            for (int i = 0; i < accepted; i++) {
                input[(inputHead + inputSize) % input.length] = bytes[offset + i];
                inputSize++;
            }
            if (accepted > 0) {
                raiseIfEnabled(IER_RDI);
            }
            return accepted;
        }
    }

    /** Host input bytes the guest has not read yet. */
    public synchronized int pendingInput() {
        return inputSize;
    }
}
