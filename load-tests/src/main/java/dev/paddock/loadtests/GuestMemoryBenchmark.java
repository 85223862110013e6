package dev.paddock.loadtests;

import dev.paddock.hypervisor.linux.MmapGuestMemory;
import dev.paddock.hypervisor.memory.GuestMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
 * The guest-memory access path that every virtqueue operation runs through, against the peer it must
 * stay close to: a raw little-endian direct {@link ByteBuffer} over the same kind of mapping, with no
 * region lookup or bounds logic of ours.
 *
 * <p>The access pattern mimics a split-ring pop: acquire-read {@code avail.idx}, read a ring entry,
 * read a 16-byte descriptor (le64 addr, le32 len, le16 flags, le16 next), and release-write
 * {@code used.idx}. The layout has two regions (low RAM and RAM above 4 GiB) so the lookup is real.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GuestMemoryBenchmark {
    private static final long GIB = 1L << 30;
    private static final long DESC = 0x10000;
    private static final long AVAIL = 0x11000;
    private static final long USED = 0x12000;
    private static final int QUEUE = 256;

    private GuestMemory memory;
    private ByteBuffer raw;
    private int i;

    @Setup(Level.Trial)
    public void setUp() {
        memory = MmapGuestMemory.allocate(new long[] {0, 64L << 20}, new long[] {4 * GIB, 64L << 20});
        raw = ByteBuffer.allocateDirect(64 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (int d = 0; d < QUEUE; d++) {
            memory.writeLong(DESC + 16L * d, 0x100000 + 4096L * d);
            memory.writeInt(DESC + 16L * d + 8, 4096);
            raw.putLong((int) (DESC + 16 * d), 0x100000 + 4096L * d);
            raw.putInt((int) (DESC + 16 * d + 8), 4096);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        memory.close();
    }

    @Benchmark
    public long guestMemoryRingPop() {
        int slot = (i++) & (QUEUE - 1);
        short availIdx = memory.readShortAcquire(AVAIL + 2);
        int head = memory.readShort(AVAIL + 4 + 2L * slot) & 0xFFFF & (QUEUE - 1);
        long d = DESC + 16L * head;
        long addr = memory.readLong(d);
        int len = memory.readInt(d + 8);
        short flags = memory.readShort(d + 12);
        short next = memory.readShort(d + 14);
        memory.writeShortRelease(USED + 2, (short) (availIdx + 1));
        return addr + len + flags + next;
    }

    @Benchmark
    public long rawByteBufferRingPop() {
        int slot = (i++) & (QUEUE - 1);
        short availIdx = raw.getShort((int) AVAIL + 2);
        java.lang.invoke.VarHandle.acquireFence();
        int head = raw.getShort((int) AVAIL + 4 + 2 * slot) & 0xFFFF & (QUEUE - 1);
        int d = (int) DESC + 16 * head;
        long addr = raw.getLong(d);
        int len = raw.getInt(d + 8);
        short flags = raw.getShort(d + 12);
        short next = raw.getShort(d + 14);
        java.lang.invoke.VarHandle.releaseFence();
        raw.putShort((int) USED + 2, (short) (availIdx + 1));
        return addr + len + flags + next;
    }
}
