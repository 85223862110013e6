package dev.paddock.runtime.vmm;

/**
 * Real-mode guest programs for the VM ITs, loaded at 0x1000 with CS = DS = 0. Written as objdump prints them
 * (assembled with GNU as --32, .code16, ld -Ttext=0x1000 --oformat binary).
 */
final class TinyGuests {
    static final int LOAD = 0x1000;

    /*
     * Prints "hello from the guest\n" on COM1, the first 11 bytes with one string instruction (a single PIO exit
     * with count 11), the rest a byte at a time, then resets the CPU through the i8042.
     *   ba f8 03        mov $0x3f8,%dx
     *   be 1e 10        mov $line1,%si
     *   b9 0b 00        mov $11,%cx
     *   fc              cld
     *   f3 6e           rep outsb
     *   be 29 10        mov $line2,%si
     *   ac           1: lodsb
     *   84 c0           test %al,%al
     *   74 03           jz 2f
     *   ee              out %al,(%dx)
     *   eb f8           jmp 1b
     *   b0 fe        2: mov $0xfe,%al
     *   e6 64           out %al,$0x64        ; i8042: pulse CPU reset
     *   f4           3: hlt
     *   eb fd           jmp 3b
     *   line1: "hello from "  line2: "the guest\n\0"
     */
    static final byte[] HELLO_THEN_RESET = hex("ba f8 03 be 1e 10 b9 0b 00 fc f3 6e be 29 10 ac 84 c0 74 03 ee eb f8"
            + " b0 fe e6 64 f4 eb fd 68 65 6c 6c 6f 20 66 72 6f 6d 20 74 68 65 20 67 75 65 73 74 0a 00");
    static final String HELLO = "hello from the guest\n";

    /*
     * Writes '.' to COM1 forever: an exit per byte, so the console shows whether the vCPU runs.
     *   ba f8 03     mov $0x3f8,%dx
     *   b0 2e        mov $'.',%al
     *   ee        1: out %al,(%dx)
     *   eb fd        jmp 1b
     */
    static final byte[] DOTS_FOREVER = hex("ba f8 03 b0 2e ee eb fd");

    /*
     * Writes '*' once, then spins without ever exiting: only a kick gets the vCPU out.
     *   ba f8 03     mov $0x3f8,%dx
     *   b0 2a        mov $'*',%al
     *   ee           out %al,(%dx)
     *   eb fe     1: jmp 1b
     */
    static final byte[] SPIN = hex("ba f8 03 b0 2a ee eb fe");

    /*
     * Writes '!' then loads an empty IDT and raises int3: no handler, no double-fault handler: a triple fault.
     *   ba f8 03        mov $0x3f8,%dx
     *   b0 21           mov $'!',%al
     *   ee              out %al,(%dx)
     *   0f 01 1e 0c 10  lidt idt
     *   cc              int3
     *   idt: .word 0; .long 0
     */
    static final byte[] TRIPLE_FAULT = hex("ba f8 03 b0 21 ee 0f 01 1e 0c 10 cc 00 00 00 00 00 00");

    /*
     * Writes 'p' to COM1, then enters ACPI S5 the way Linux's acpi_hw_extended_sleep does on a hardware-reduced
     * machine: SLP_TYP 5 << 2 | SLP_EN (0x20) = 0x34 to the sleep control register (AcpiPowerControl, port 0x600).
     *   ba f8 03     mov $0x3f8,%dx
     *   b0 70        mov $'p',%al
     *   ee           out %al,(%dx)
     *   ba 00 06     mov $0x600,%dx
     *   b0 34        mov $0x34,%al
     *   ee           out %al,(%dx)
     *   f4        1: hlt
     *   eb fd        jmp 1b
     */
    static final byte[] ACPI_POWER_OFF = hex("ba f8 03 b0 70 ee ba 00 06 b0 34 ee f4 eb fd");

    private TinyGuests() {
    }

    static RealModeImage image(byte[] code) {
        return new RealModeImage(code, LOAD);
    }

    static byte[] hex(String bytes) {
        String[] parts = bytes.trim().split("\\s+");
        byte[] out = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return out;
    }
}
