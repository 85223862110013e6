package dev.paddock.hypervisor.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.paddock.hypervisor.VcpuExit;
import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Segment;
import dev.paddock.hypervisor.x86.Sregs;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A one-vCPU VM on the real /dev/kvm with 1 MiB of RAM at guest-physical 0 and a tiny program at 0x1000.
 * Everything above 1 MiB is unbacked, so accesses there are MMIO exits.
 */
final class TestGuest implements AutoCloseable {
    static final int CODE = 0x1000;
    static final long RAM_SIZE = 0x100000;
    static final long TSS_ADDRESS = 0xFFFB_D000L;
    /** Identity-mapping page tables for long mode: PML4, PDPT, PD (1 GiB of 2 MiB pages). */
    private static final long PML4 = 0x2000;
    private static final long PDPT = 0x3000;
    private static final long PD = 0x4000;
    private static final long STACK_TOP = 0x8000;
    /** Generous: PVM emulates CPL0 at 1–2 M instructions/s, TCG-nested KVM is slower still to start. */
    private static final long RUN_TIMEOUT_SECONDS = 30;

    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "test-guest-watchdog");
        t.setDaemon(true);
        return t;
    });

    final Kvm kvm;
    final KvmVm vm;
    final MmapGuestMemory ram;
    final KvmVcpu vcpu;

    private TestGuest(boolean irqchip) {
        kvm = Kvm.open();
        vm = kvm.createVm();
        vm.setTssAddress(TSS_ADDRESS);
        ram = MmapGuestMemory.allocate(new long[] {0, RAM_SIZE});
        vm.mapMemory(ram);
        if (irqchip) {
            vm.createIrqchip();
        }
        vcpu = vm.createVcpu(0);
    }

    /** Real mode, CS = DS = SS = 0, IP = 0x1000, SP = 0x8000. */
    static TestGuest realMode(boolean irqchip, byte[] code) {
        TestGuest g = new TestGuest(irqchip);
        g.ram.write(CODE, code, 0, code.length);
        g.vcpu.setSregs(g.vcpu.sregs().withSegments(Segment.realMode(0, true), Segment.realMode(0, false)));
        g.vcpu.setRegs(g.vcpu.regs().with(Regs.Register.RIP, CODE).with(Regs.Register.RSP, STACK_TOP)
                .with(Regs.Register.RFLAGS, Regs.RFLAGS_RESERVED));
        return g;
    }

    /** 64-bit mode at CPL0, first GiB identity-mapped with 2 MiB pages, no IDT (limit 0). */
    static TestGuest longMode(byte[] code) {
        TestGuest g = new TestGuest(false);
        g.ram.write(CODE, code, 0, code.length);
        g.ram.writeLong(PML4, PDPT | 0x3);
        g.ram.writeLong(PDPT, PD | 0x3);
        for (long i = 0; i < 512; i++) {
            g.ram.writeLong(PD + 8 * i, (i << 21) | 0x83); // present, writable, 2 MiB page
        }
        Segment tss = new Segment(0, 0x67, 0x18, 0xB, true, 0, false, false, false, false, false, false);
        Sregs s = g.vcpu.sregs()
                .withSegments(Segment.longModeCode(0x8, 0), Segment.flatData(0x10, 0))
                .withTr(tss)
                .withTables(new dev.paddock.hypervisor.x86.DescriptorTable(0, 0),
                        new dev.paddock.hypervisor.x86.DescriptorTable(0, 0))
                .withControl(Sregs.CR0_PE | Sregs.CR0_PG | 0x10 /* ET */, PML4, Sregs.CR4_PAE,
                        Sregs.EFER_LME | Sregs.EFER_LMA);
        g.vcpu.setSregs(s);
        g.vcpu.setRegs(g.vcpu.regs().with(Regs.Register.RIP, CODE).with(Regs.Register.RSP, STACK_TOP)
                .with(Regs.Register.RFLAGS, Regs.RFLAGS_RESERVED));
        return g;
    }

    /** Runs until an exit other than Interrupted, failing the test if none comes in time. */
    VcpuExit run() {
        ScheduledFuture<?> timeout = WATCHDOG.schedule(vcpu::kick, RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        try {
            VcpuExit exit = vcpu.run();
            if (exit instanceof VcpuExit.Interrupted && timeout.isDone()) {
                fail("the guest did not exit within " + RUN_TIMEOUT_SECONDS + " s; RIP = 0x%x"
                        .formatted(vcpu.regs().rip()));
            }
            return exit;
        } finally {
            timeout.cancel(false);
        }
    }

    /** Runs and asserts an OUT exit on {@code port}, returning it. */
    VcpuExit.Io runToOut(int port) {
        VcpuExit exit = run();
        assertThat(exit).isInstanceOf(VcpuExit.Io.class);
        VcpuExit.Io io = (VcpuExit.Io) exit;
        assertThat(io.port()).as("port of %s", io).isEqualTo(port);
        assertThat(io.direction()).isEqualTo(VcpuExit.Direction.OUT);
        return io;
    }

    /** "b0 ab e6 40" → bytes: guest programs are written as objdump prints them. */
    static byte[] hex(String bytes) {
        String[] parts = bytes.trim().split("\\s+");
        byte[] out = new byte[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = (byte) Integer.parseInt(parts[i], 16);
        }
        return out;
    }

    @Override
    public void close() {
        vcpu.close();
        vm.close();
        ram.close();
        kvm.close();
    }
}
