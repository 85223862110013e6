package dev.paddock.hypervisor.linux;

import static dev.paddock.hypervisor.linux.TestGuest.hex;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.VcpuExit;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** irqfd and ioeventfd on the real /dev/kvm, with the in-kernel irqchip. */
class KvmInterruptIT {

    /*
     * .code16 at 0x1000: install an IVT handler for vector 0x25 (master PIC base 0x20 + IRQ 5), program the
     * in-kernel 8259 (ICW1-4, then unmask only IRQ 5), say "ready" on port 0x10, and halt with interrupts on.
     * The handler reports on port 0x11, sends EOI and returns.
     *   fa                 cli
     *   c7 06 94 00 27 10  movw $0x1027, 0x94     ; IVT[0x25].offset = handler
     *   c7 06 96 00 00 00  movw $0x0, 0x96        ; IVT[0x25].segment = 0
     *   b0 11 e6 20        mov $0x11,%al; out %al,$0x20   ; ICW1: edge, cascade, ICW4 needed
     *   b0 20 e6 21        mov $0x20,%al; out %al,$0x21   ; ICW2: vector base 0x20
     *   b0 04 e6 21        mov $0x04,%al; out %al,$0x21   ; ICW3: slave on IRQ 2
     *   b0 01 e6 21        mov $0x01,%al; out %al,$0x21   ; ICW4: 8086 mode
     *   b0 df e6 21        mov $0xdf,%al; out %al,$0x21   ; OCW1: mask all but IRQ 5
     *   e6 10              out %al, $0x10         ; ready
     *   fb                 sti
     *   f4               1: hlt
     *   eb fd              jmp 1b
     * handler (0x1027):
     *   b0 25 e6 11        mov $0x25,%al; out %al,$0x11
     *   b0 20 e6 20        mov $0x20,%al; out %al,$0x20   ; EOI
     *   cf                 iret
     */
    private static final byte[] IRQ_GUEST = hex("fa c7 06 94 00 27 10 c7 06 96 00 00 00 b0 11 e6 20 b0 20 e6 21"
            + " b0 04 e6 21 b0 01 e6 21 b0 df e6 21 e6 10 fb f4 eb fd b0 25 e6 11 b0 20 e6 20 cf");

    @Test
    void anIrqfdInterruptReachesTheGuestsHandler() {
        try (TestGuest g = TestGuest.realMode(true, IRQ_GUEST); EventFd irq = EventFd.create()) {
            g.vm.registerIrqfd(irq, 5);
            g.runToOut(0x10);
            irq.signal();
            VcpuExit.Io seen = g.runToOut(0x11);
            assertThat(seen.data().value()).as("vector the handler reports").isEqualTo(0x25);
            g.vm.unregisterIrqfd(irq, 5);
        }
    }

    /*
     * .code16 at 0x1000:
     *   b0 42  mov $0x42,%al
     *   e6 80  out %al,$0x80   ; ioeventfd, any value: no exit
     *   e6 80  out %al,$0x80   ; again
     *   b0 07  mov $7,%al
     *   e6 82  out %al,$0x82   ; ioeventfd with datamatch 7: no exit
     *   b0 08  mov $8,%al
     *   e6 82  out %al,$0x82   ; 8 does not match: exits to userspace
     *   e6 81  out %al,$0x81   ; done
     *   f4     hlt
     */
    private static final byte[] IOEVENTFD_GUEST = hex("b0 42 e6 80 e6 80 b0 07 e6 82 b0 08 e6 82 e6 81 f4");

    @Test
    void anIoeventfdFiresOnAGuestWriteWithoutAnExit() {
        try (TestGuest g = TestGuest.realMode(true, IOEVENTFD_GUEST);
                EventFd any = EventFd.create(); EventFd seven = EventFd.create()) {
            g.vm.registerIoeventfd(any, KvmVm.IoSpace.PIO, 0x80, 1, OptionalLong.empty());
            g.vm.registerIoeventfd(seven, KvmVm.IoSpace.PIO, 0x82, 1, OptionalLong.of(7));

            VcpuExit.Io first = g.runToOut(0x82);
            assertThat(first.data().value()).as("only the non-matching write exits").isEqualTo(8);
            g.runToOut(0x81);
            assertThat(any.read()).as("writes to port 0x80 counted in the kernel").isEqualTo(2);
            assertThat(seven.read()).as("the datamatch write").isEqualTo(1);

            g.vm.unregisterIoeventfd(any, KvmVm.IoSpace.PIO, 0x80, 1, OptionalLong.empty());
            g.vm.unregisterIoeventfd(seven, KvmVm.IoSpace.PIO, 0x82, 1, OptionalLong.of(7));
        }
    }
}
