package dev.paddock.runtime.devices.legacy;

import dev.paddock.runtime.bus.BusDevice;
import dev.paddock.runtime.bus.Interrupt;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * The PS/2 controller (Intel 8042) at ports 0x60 (data) and 0x64 (status/command), as much of it as a microVM
 * needs: the CPU reset that Linux's {@code reboot=k} pulses with command 0xFE, and enough controller behaviour
 * (status register, command byte, self-tests, a keyboard that acknowledges commands) that Linux's i8042 and
 * atkbd drivers probe it and move on, with or without {@code i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd}.
 * There is no mouse: the aux port answers nothing.
 *
 * <p>It is mapped as two one-port ranges on the PIO bus, so it is given its offset from each base: register it
 * with {@link #dataPort()} at 0x60 and {@link #commandPort()} at 0x64. Command and status values follow the
 * constants in Linux's drivers/input/serio/i8042.h.
 */
public final class I8042 {
    // drivers/input/serio/i8042.h
    static final int STR_OBF = 0x01;      // output buffer full: a byte waits at port 0x60
    static final int STR_SYSFLAG = 0x04;  // set after a successful self-test (always, here)
    static final int STR_CMDDAT = 0x08;   // the last write was to the command port
    static final int STR_AUXDATA = 0x20;  // the byte in the output buffer came from the aux port

    static final int CTR_KBDINT = 0x01;
    static final int CTR_KBDDIS = 0x10;
    static final int CTR_AUXDIS = 0x20;
    static final int CTR_XLATE = 0x40;

    static final int CMD_CTL_RCTR = 0x20;
    static final int CMD_CTL_WCTR = 0x60;
    static final int CMD_AUX_DISABLE = 0xA7;
    static final int CMD_AUX_ENABLE = 0xA8;
    static final int CMD_AUX_TEST = 0xA9;
    static final int CMD_CTL_TEST = 0xAA;
    static final int CMD_KBD_TEST = 0xAB;
    static final int CMD_KBD_DISABLE = 0xAD;
    static final int CMD_KBD_ENABLE = 0xAE;
    static final int CMD_WRITE_OUTPUT_PORT = 0xD1;
    static final int CMD_KBD_LOOP = 0xD2;
    static final int CMD_AUX_LOOP = 0xD3;
    static final int CMD_AUX_SEND = 0xD4;
    /** 0xF0–0xFF pulse the output-port lines whose bit is 0 in the low nibble; bit 0 is the CPU reset line. */
    static final int CMD_PULSE_FIRST = 0xF0;
    static final int CMD_PULSE_RESET = 0xFE;

    static final int CTL_TEST_PASSED = 0x55;
    static final int PORT_TEST_PASSED = 0x00;

    // Keyboard replies (drivers/input/keyboard/atkbd.c, include/linux/libps2.h).
    static final int KBD_ACK = 0xFA;
    static final int KBD_SELF_TEST_PASSED = 0xAA;
    static final int KBD_CMD_RESET = 0xFF;
    static final int KBD_CMD_GETID = 0xF2;
    /** An MF2 keyboard's ID with translation, what atkbd expects. */
    static final int[] KBD_ID = {0xAB, 0x83};

    /** Replies queued at once never exceed a few bytes; the bound only stops a hostile command storm. */
    static final int OUTPUT_CAPACITY = 16;

    private final Interrupt keyboardInterrupt;
    private final CpuResetListener resetListener;

    private int commandByte = CTR_KBDINT | CTR_XLATE;
    private int status = STR_SYSFLAG;
    /** The command whose data byte the next port-0x60 write is, or 0. */
    private int pendingCommand;
    private final ArrayDeque<Byte> outputBuffer = new ArrayDeque<>();
    private boolean outputFromAux;

    public I8042(Interrupt keyboardInterrupt, CpuResetListener resetListener) {
        this.keyboardInterrupt = Objects.requireNonNull(keyboardInterrupt, "keyboardInterrupt");
        this.resetListener = Objects.requireNonNull(resetListener, "resetListener");
    }

    /** The device for port 0x60. */
    public BusDevice dataPort() {
        return new BusDevice() {
            @Override
            public void read(long offset, byte[] data) {
                fill(data, readData());
            }

            @Override
            public void write(long offset, byte[] data) {
                writeData(data[0] & 0xFF);
            }
        };
    }

    /** The device for port 0x64. */
    public BusDevice commandPort() {
        return new BusDevice() {
            @Override
            public void read(long offset, byte[] data) {
                fill(data, readStatus());
            }

            @Override
            public void write(long offset, byte[] data) {
                writeCommand(data[0] & 0xFF);
            }
        };
    }

    private static void fill(byte[] data, int value) {
        data[0] = (byte) value;
        for (int i = 1; i < data.length; i++) {
            data[i] = 0;
        }
    }

    synchronized int readStatus() {
        return status | (outputBuffer.isEmpty() ? 0 : STR_OBF) | (outputFromAux && !outputBuffer.isEmpty() ? STR_AUXDATA : 0);
    }

    synchronized int readData() {
        Byte b = outputBuffer.poll();
        if (b == null) {
            return 0;
        }
        if (!outputBuffer.isEmpty()) {
            // The next queued reply is a new "output buffer full" event for the driver.
            raiseKeyboardInterrupt();
        }
        return b & 0xFF;
    }

    void writeCommand(int command) {
        boolean reset = false;
        synchronized (this) {
            status |= STR_CMDDAT;
            pendingCommand = 0;
            switch (command) {
                case CMD_CTL_RCTR -> reply(commandByte, false);
                case CMD_CTL_WCTR, CMD_WRITE_OUTPUT_PORT, CMD_KBD_LOOP, CMD_AUX_LOOP, CMD_AUX_SEND ->
                        pendingCommand = command;
                case CMD_AUX_DISABLE -> commandByte |= CTR_AUXDIS;
                case CMD_AUX_ENABLE -> commandByte &= ~CTR_AUXDIS;
                case CMD_AUX_TEST, CMD_KBD_TEST -> reply(PORT_TEST_PASSED, false);
                case CMD_CTL_TEST -> reply(CTL_TEST_PASSED, false);
                case CMD_KBD_DISABLE -> commandByte |= CTR_KBDDIS;
                case CMD_KBD_ENABLE -> commandByte &= ~CTR_KBDDIS;
                default -> reset = command >= CMD_PULSE_FIRST && (command & 0x01) == 0;
            }
        }
        if (reset) {
            resetListener.cpuResetRequested();
        }
    }

    void writeData(int value) {
        boolean reset = false;
        synchronized (this) {
            status &= ~STR_CMDDAT;
            int command = pendingCommand;
            pendingCommand = 0;
            switch (command) {
                case CMD_CTL_WCTR -> commandByte = value;
                // Output port bit 0 low holds the CPU in reset.
                case CMD_WRITE_OUTPUT_PORT -> reset = (value & 0x01) == 0;
                case CMD_KBD_LOOP -> reply(value, false);
                case CMD_AUX_LOOP -> reply(value, true);
                // No mouse: bytes for the aux device vanish and the driver's wait for an answer times out.
                case CMD_AUX_SEND -> { }
                default -> keyboardCommand(value);
            }
        }
        if (reset) {
            resetListener.cpuResetRequested();
        }
    }

    private void keyboardCommand(int value) {
        reply(KBD_ACK, false);
        if (value == KBD_CMD_RESET) {
            reply(KBD_SELF_TEST_PASSED, false);
        } else if (value == KBD_CMD_GETID) {
            for (int b : KBD_ID) {
                reply(b, false);
            }
        }
    }

    private void reply(int value, boolean fromAux) {
        // GUEST-CONTROLLED: a guest that sends commands without reading replies cannot grow the queue.
        if (outputBuffer.size() >= OUTPUT_CAPACITY) {
            return;
        }
        boolean wasEmpty = outputBuffer.isEmpty();
        outputBuffer.add((byte) value);
        if (wasEmpty) {
            outputFromAux = fromAux;
            raiseKeyboardInterrupt();
        }
    }

    private void raiseKeyboardInterrupt() {
        if ((commandByte & CTR_KBDINT) != 0 && !outputFromAux) {
            keyboardInterrupt.trigger();
        }
    }

    /** The controller command byte (CTR), for tests and diagnostics. */
    public synchronized int commandByte() {
        return commandByte;
    }
}
