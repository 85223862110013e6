package dev.paddock.loadtests;

import dev.paddock.hypervisor.linux.MmapGuestMemory;
import dev.paddock.runtime.virtio.mmio.MmioTransport;
import dev.paddock.runtime.virtio.vsock.VsockBackend;
import dev.paddock.runtime.virtio.vsock.VsockDevice;
import dev.paddock.runtime.virtio.vsock.VsockDeviceConfig;
import dev.paddock.runtime.virtio.vsock.VsockPeer;
import dev.paddock.runtime.virtio.vsock.VsockStream;
import dev.paddock.testkit.VirtioMmioDriver;
import dev.paddock.testkit.VirtqueueDriver;
import dev.paddock.testkit.VsockDriver;
import dev.paddock.testkit.VsockDriver.Packet;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The virtio-vsock device's queue path with a synthetic driver (the testkit's, over mmap'd guest RAM, no KVM),
 * against a plain copy of the same bytes between the same kinds of memory in the same run.
 *
 * <p>Every invocation moves {@link #BYTES_PER_OP} (256 KiB) of payload in packets of {@code packetBytes}:
 * <ul>
 *   <li>{@code tx}: guest → host. The guest publishes pre-written RW packets on TX and kicks; the device pops
 *       each chain, decodes and checks the header, copies the payload into a heap buffer for the host peer,
 *       which consumes it at once (credit back to the guest through the loop);</li>
 *   <li>{@code rx}: host → guest. The host writes heap buffers to the stream; the guest posts RX buffers and a
 *       CREDIT_UPDATE; the device writes RW packets (header and payload) into the RX buffers;</li>
 *   <li>{@code copyFromGuest} / {@code copyIntoGuest}: the same payload bytes copied between guest RAM (a direct
 *       view of the mapping) and a heap array with {@code ByteBuffer.get}/{@code put}, the memcpy peer.</li>
 * </ul>
 * Throughput is in operations per second; × 256 KiB gives bytes per second (docs/performance.md).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class VsockQueueBenchmark {
    static final int BYTES_PER_OP = 256 * 1024;
    private static final long CID = 3;
    private static final int QUEUE = 256;
    private static final long BASE = 0x10_0000;
    private static final int HOST_PORT = 1234;
    private static final int GUEST_PORT = 50_000;

    @Param({"4096", "65536"})
    public int packetBytes;

    private MmapGuestMemory memory;
    private final ArrayDeque<Runnable> loopTasks = new ArrayDeque<>();
    private VsockDevice device;
    private VirtioMmioDriver mmio;
    private VsockDriver guest;
    private VsockStream stream;
    private int packetsPerOp;
    private int[] txHeads;
    private int[] rxHeads;
    private ByteBuffer[] hostChunks;
    private long creditUpdateAt;
    private int guestFwdCnt;
    private long payloadArea;
    private byte[] heap;
    private long consumed;

    @Setup(Level.Trial)
    public void setUp() {
        memory = MmapGuestMemory.allocate(new long[] {0, 256L << 20});
        packetsPerOp = BYTES_PER_OP / packetBytes;
        Executor loop = loopTasks::add;
        VsockDeviceConfig d = VsockDeviceConfig.withCid(CID);
        VsockDeviceConfig config = new VsockDeviceConfig(CID, QUEUE, d.maxStreams(), 4 * BYTES_PER_OP, BYTES_PER_OP,
                4 * BYTES_PER_OP, Duration.ofSeconds(5));
        VsockBackend backend = s -> {
            stream = s;
            return new VsockPeer() {
                @Override
                public void onData(ByteBuffer data) {
                    consumed += data.remaining();
                    s.consumed(data.remaining());
                }

                @Override
                public void onGuestShutdownSend() {
                }

                @Override
                public void onWritable() {
                }

                @Override
                public void onClosed(String reason) {
                    throw new IllegalStateException("the benchmark's stream closed: " + reason);
                }
            };
        };
        device = new VsockDevice(config, backend, loop);
        MmioTransport transport = new MmioTransport(device, memory, () -> { }, Runnable::run);
        mmio = new VirtioMmioDriver(transport::read, transport::write);
        guest = new VsockDriver(memory, mmio, BASE, QUEUE, packetBytes + VsockDriver.HEADER_BYTES);
        guest.autoRefill(false);
        if (guest.initialize() < 0) {
            throw new IllegalStateException("the vsock device refused FEATURES_OK");
        }
        guest.fillRx(1);
        guest.send(Packet.fromGuest(CID, GUEST_PORT, HOST_PORT, VsockDriver.OP_REQUEST, 0, Integer.MAX_VALUE, 0, new byte[0]));
        runLoop();
        if (stream == null || guest.receive().get(0).op() != VsockDriver.OP_RESPONSE) {
            throw new IllegalStateException("the benchmark's stream did not connect");
        }

        // TX: one pre-written RW packet per descriptor (header + payload in one buffer, as Linux 6.x sends small ones).
        VirtqueueDriver tx = guest.txQueue();
        txHeads = new int[QUEUE];
        long txBuffers = BASE + VsockDriver.footprint(QUEUE, packetBytes + VsockDriver.HEADER_BYTES) + (1 << 20);
        byte[] payload = new byte[packetBytes];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 7);
        }
        byte[] packet = Packet.fromGuest(CID, GUEST_PORT, HOST_PORT, VsockDriver.OP_RW, 0, Integer.MAX_VALUE, 0, payload).encode();
        for (int i = 0; i < packetsPerOp; i++) {
            long at = txBuffers + (long) i * packet.length;
            memory.write(at, packet, 0, packet.length);
            tx.writeDescriptor(i, at, packet.length, 0, 0);
            txHeads[i] = i;
        }
        // RX: the driver's buffers, one descriptor each, re-posted every op; a CREDIT_UPDATE slot after the packets.
        VirtqueueDriver rx = guest.rxQueue();
        rxHeads = new int[packetsPerOp];
        long rxBuffers = BASE + 0x30000;
        for (int i = 0; i < packetsPerOp; i++) {
            rx.writeDescriptor(i, rxBuffers + (long) i * (packetBytes + VsockDriver.HEADER_BYTES),
                    packetBytes + VsockDriver.HEADER_BYTES, VirtqueueDriver.WRITE, 0);
            rxHeads[i] = i;
        }
        long creditSlot = txBuffers + (long) packetsPerOp * packet.length;
        byte[] credit = Packet.fromGuest(CID, GUEST_PORT, HOST_PORT, VsockDriver.OP_CREDIT_UPDATE, 0,
                BYTES_PER_OP, 0, new byte[0]).encode();
        memory.write(creditSlot, credit, 0, credit.length);
        tx.writeDescriptor(QUEUE - 1, creditSlot, credit.length, 0, 0);
        creditUpdateAt = creditSlot + 40; // fwd_cnt
        hostChunks = new ByteBuffer[packetsPerOp];
        for (int i = 0; i < packetsPerOp; i++) {
            hostChunks[i] = ByteBuffer.wrap(payload.clone());
        }
        payloadArea = rxBuffers;
        heap = new byte[BYTES_PER_OP];

        // Sanity: one op each way moves the bytes.
        long before = consumed;
        tx();
        rx();
        if (consumed - before != BYTES_PER_OP || device.metrics().bytesToGuest() < BYTES_PER_OP) {
            throw new IllegalStateException("the synthetic driver did not move %d bytes each way (tx %d, rx %d)"
                    .formatted(BYTES_PER_OP, consumed - before, device.metrics().bytesToGuest()));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        memory.close();
    }

    private void runLoop() {
        Runnable t;
        while ((t = loopTasks.poll()) != null) {
            t.run();
        }
    }

    @Benchmark
    public long tx() {
        VirtqueueDriver tx = guest.txQueue();
        for (int i = 0; i < packetsPerOp; i++) {
            tx.publish(txHeads[i]);
        }
        mmio.notifyQueue(VsockDriver.TX);
        runLoop();
        return consumed;
    }

    @Benchmark
    public long rx() {
        for (ByteBuffer chunk : hostChunks) {
            chunk.rewind();
            stream.write(chunk);
        }
        VirtqueueDriver rx = guest.rxQueue();
        for (int head : rxHeads) {
            rx.publish(head);
        }
        // The guest has read everything sent so far: its fwd_cnt says so (Linux's credit update).
        guestFwdCnt += BYTES_PER_OP;
        memory.writeInt(creditUpdateAt, guestFwdCnt - BYTES_PER_OP);
        guest.txQueue().publish(QUEUE - 1);
        mmio.notifyQueue(VsockDriver.TX);
        mmio.notifyQueue(VsockDriver.RX);
        runLoop();
        return device.metrics().bytesToGuest();
    }

    @Benchmark
    public byte[] copyFromGuest() {
        for (int i = 0; i < packetsPerOp; i++) {
            memory.slice(payloadArea + (long) i * (packetBytes + VsockDriver.HEADER_BYTES) + VsockDriver.HEADER_BYTES, packetBytes)
                    .get(heap, i * packetBytes, packetBytes);
        }
        return heap;
    }

    @Benchmark
    public long copyIntoGuest() {
        for (int i = 0; i < packetsPerOp; i++) {
            memory.slice(payloadArea + (long) i * (packetBytes + VsockDriver.HEADER_BYTES) + VsockDriver.HEADER_BYTES, packetBytes)
                    .put(heap, i * packetBytes, packetBytes);
        }
        return heap.length;
    }
}
