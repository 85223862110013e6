package dev.paddock.loadtests;

import dev.paddock.hypervisor.VcpuExit;
import dev.paddock.hypervisor.linux.Kvm;
import dev.paddock.hypervisor.linux.KvmVcpu;
import dev.paddock.hypervisor.linux.KvmVm;
import dev.paddock.hypervisor.linux.MmapGuestMemory;
import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Segment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The vCPU exit round trip through Paddock's binding: guest {@code OUT} → {@code KvmVcpu.run()} decodes a
 * {@link VcpuExit.Io} → a Java handler reads the byte → the next {@code run()} resumes the guest.
 *
 * <p>The guest and the loop are exactly those of {@code src/main/c/exit_roundtrip.c}, the C reference
 * measured in the same run by {@code bench-exits.sh}; their ratio is what docs/performance.md records.
 * Guest (real mode at 0x1000): {@code mov dx, 0x10; 1: out dx, al; jmp 1b}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ExitRoundTripBenchmark {
    private static final int CODE = 0x1000;
    private static final int PORT = 0x10;
    private static final byte[] GUEST = {(byte) 0xBA, PORT, 0x00, (byte) 0xEE, (byte) 0xEB, (byte) 0xFD};

    private Kvm kvm;
    private KvmVm vm;
    private MmapGuestMemory ram;
    private KvmVcpu vcpu;

    @Setup(Level.Trial)
    public void setUp() {
        kvm = Kvm.open();
        vm = kvm.createVm();
        ram = MmapGuestMemory.allocate(new long[] {0, 0x10000});
        vm.mapMemory(ram);
        vcpu = vm.createVcpu(0);
        ram.write(CODE, GUEST, 0, GUEST.length);
        vcpu.setSregs(vcpu.sregs().withSegments(Segment.realMode(0, true), Segment.realMode(0, false)));
        vcpu.setRegs(vcpu.regs().with(Regs.Register.RIP, CODE).with(Regs.Register.RFLAGS, Regs.RFLAGS_RESERVED));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vcpu.close();
        vm.close();
        ram.close();
        kvm.close();
    }

    /** One exit and its handling; JMH's ops/s is exits per second. */
    @Benchmark
    public long outExitRoundTrip() {
        VcpuExit exit = vcpu.run();
        if (exit instanceof VcpuExit.Io io && io.port() == PORT && io.isWrite()) {
            return io.data().value();
        }
        throw new IllegalStateException("expected an OUT to port 0x10, got " + exit);
    }
}
