package dev.paddock.hypervisor.linux;

import static dev.paddock.hypervisor.linux.TestGuest.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.VcpuExit;
import dev.paddock.hypervisor.x86.Regs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Guest exits decoded from kvm_run on the real /dev/kvm: port I/O, MMIO, HLT, triple fault. */
class KvmExitIT {

    /*
     * .code16, at 0x1000:
     *   b0 ab              mov  $0xab, %al
     *   e6 40              out  %al, $0x40
     *   b8 34 12           mov  $0x1234, %ax
     *   e7 41              out  %ax, $0x41
     *   66 b8 78 56 34 12  mov  $0x12345678, %eax
     *   ba f8 03           mov  $0x3f8, %dx
     *   66 ef              out  %eax, (%dx)
     *   e4 42              in   $0x42, %al
     *   88 c3              mov  %al, %bl
     *   66 ed              in   (%dx), %eax
     *   66 89 c1           mov  %eax, %ecx
     *   f4                 hlt
     */
    private static final byte[] PORT_IO = hex("b0 ab e6 40 b8 34 12 e7 41 66 b8 78 56 34 12 ba f8 03 66 ef"
            + " e4 42 88 c3 66 ed 66 89 c1 f4");

    @Test
    void portIoOutAndInRoundTripThroughTheHandler() {
        try (TestGuest g = TestGuest.realMode(false, PORT_IO)) {
            VcpuExit.Io out1 = g.runToOut(0x40);
            assertThat(out1.size()).isEqualTo(1);
            assertThat(out1.count()).isEqualTo(1);
            assertThat(out1.data().value()).isEqualTo(0xab);

            VcpuExit.Io out2 = g.runToOut(0x41);
            assertThat(out2.size()).isEqualTo(2);
            assertThat(out2.data().bytes()).containsExactly(0x34, 0x12);

            VcpuExit.Io out4 = g.runToOut(0x3f8);
            assertThat(out4.size()).isEqualTo(4);
            assertThat(out4.data().value()).isEqualTo(0x12345678L);

            VcpuExit in1 = g.run();
            assertThat(in1).isEqualTo(new VcpuExit.Io(0x42, 1, VcpuExit.Direction.IN, 1, ((VcpuExit.Io) in1).data()));
            ((VcpuExit.Io) in1).data().setValue(0x5a);

            VcpuExit in4 = g.run();
            assertThat(in4).isInstanceOf(VcpuExit.Io.class);
            VcpuExit.Io io4 = (VcpuExit.Io) in4;
            assertThat(io4.port()).isEqualTo(0x3f8);
            assertThat(io4.direction()).isEqualTo(VcpuExit.Direction.IN);
            assertThat(io4.size()).isEqualTo(4);
            io4.data().setBytes(new byte[] {0x0d, (byte) 0xf0, (byte) 0xfe, (byte) 0xca});

            assertThat(g.run()).isInstanceOf(VcpuExit.Hlt.class);
            Regs regs = g.vcpu.regs();
            assertThat(regs.rbx() & 0xff).as("BL after IN from port 0x42").isEqualTo(0x5a);
            assertThat(regs.rcx() & 0xffffffffL).as("ECX after IN from port 0x3f8").isEqualTo(0xcafef00dL);

            // The data window of an old exit must not show the next exit's bytes.
            assertThatThrownBy(() -> out1.data().value()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("stale");
        }
    }

    /*
     * .code64 at 0x1000, RAM ends at 1 MiB so 0x200000 is MMIO:
     *   48 c7 c3 00 00 20 00           mov    $0x200000, %rbx
     *   c6 03 11                       movb   $0x11, (%rbx)
     *   66 c7 43 02 33 22              movw   $0x2233, 0x2(%rbx)
     *   c7 43 04 77 66 55 44           movl   $0x44556677, 0x4(%rbx)
     *   48 b8 ff ee dd cc bb aa 99 88  movabs $0x8899aabbccddeeff, %rax
     *   48 89 43 08                    mov    %rax, 0x8(%rbx)
     *   4c 0f b6 43 10                 movzbq 0x10(%rbx), %r8
     *   4c 0f b7 4b 12                 movzwq 0x12(%rbx), %r9
     *   44 8b 53 14                    mov    0x14(%rbx), %r10d
     *   4c 8b 5b 18                    mov    0x18(%rbx), %r11
     *   f4                             hlt
     */
    private static final byte[] MMIO = hex("48 c7 c3 00 00 20 00 c6 03 11 66 c7 43 02 33 22 c7 43 04 77 66 55 44"
            + " 48 b8 ff ee dd cc bb aa 99 88 48 89 43 08 4c 0f b6 43 10 4c 0f b7 4b 12 44 8b 53 14 4c 8b 5b 18 f4");

    @Test
    void mmioWritesAndReadsOfOneTwoFourAndEightBytes() {
        try (TestGuest g = TestGuest.longMode(MMIO)) {
            List<String> writes = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                VcpuExit.Mmio w = (VcpuExit.Mmio) g.run();
                assertThat(w.isWrite()).isTrue();
                writes.add("0x%x/%d=0x%x".formatted(w.address(), w.length(), w.data().value()));
            }
            assertThat(writes).containsExactly("0x200000/1=0x11", "0x200002/2=0x2233", "0x200004/4=0x44556677",
                    "0x200008/8=0x8899aabbccddeeff");

            long[] answers = {0xa5, 0xbeef, 0xdeadbeefL, 0x0123456789abcdefL};
            long[] addresses = {0x200010, 0x200012, 0x200014, 0x200018};
            int[] lengths = {1, 2, 4, 8};
            for (int i = 0; i < 4; i++) {
                VcpuExit.Mmio r = (VcpuExit.Mmio) g.run();
                assertThat(r.isWrite()).isFalse();
                assertThat(r.address()).isEqualTo(addresses[i]);
                assertThat(r.length()).isEqualTo(lengths[i]);
                r.data().setValue(answers[i]);
            }
            assertThat(g.run()).isInstanceOf(VcpuExit.Hlt.class);
            Regs regs = g.vcpu.regs();
            assertThat(new long[] {regs.r8(), regs.r9(), regs.r10(), regs.r11()}).containsExactly(answers);
        }
    }

    @Test
    void hltExitsToUserspaceWithoutAnIrqchip() {
        try (TestGuest g = TestGuest.realMode(false, hex("f4"))) {
            assertThat(g.run()).isInstanceOf(VcpuExit.Hlt.class);
            assertThat(g.vcpu.regs().rip()).isEqualTo(TestGuest.CODE + 1);
        }
    }

    /* .code64: 0f 0b  ud2 — with IDTR.limit = 0 the #UD escalates to #GP, #DF, then a triple fault. */
    @Test
    void tripleFaultIsAShutdown() {
        try (TestGuest g = TestGuest.longMode(hex("0f 0b"))) {
            assertThat(g.run()).isInstanceOf(VcpuExit.Shutdown.class);
        }
    }
}
