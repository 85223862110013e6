package dev.paddock.runtime.virtio.fs;

import static dev.paddock.testkit.VirtqueueDriver.Segment.readable;
import static dev.paddock.testkit.VirtqueueDriver.Segment.writable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.virtio.DeviceType;
import dev.paddock.runtime.virtio.fs.fuse.FuseOpcode;
import dev.paddock.runtime.virtio.mmio.MmioTransport;
import dev.paddock.testkit.VirtioMmioDriver;
import dev.paddock.testkit.VirtqueueDriver;
import dev.paddock.testkit.VirtqueueDriver.UsedElement;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** virtio-fs over the testkit's driver-side virtqueue and heap guest memory: request chains in, replies out. */
class FsDeviceTest {
    private static final long REQ = 0x40000;
    private static final long OUT = 0x80000;

    @TempDir
    Path dir;

    private final HeapGuestMemory memory = HeapGuestMemory.ofSize(0x100_0000);
    private final AtomicInteger interrupts = new AtomicInteger();
    private final VirtqueueDriver hiprio = new VirtqueueDriver(memory, 0x1000, 64);
    private final VirtqueueDriver requests = new VirtqueueDriver(memory, 0x4000, 64);
    private final ExecutorService deviceLoop = Executors.newSingleThreadExecutor(r -> new Thread(r, "fake-device-loop"));
    private final List<String> serveThreads = new ArrayList<>();
    private ExecutorService workers = Executors.newFixedThreadPool(2, r -> new Thread(() -> {
        synchronized (serveThreads) {
            serveThreads.add(Thread.currentThread().getName());
        }
        r.run();
    }, "fs-worker"));
    private FsDevice device;
    private VirtioMmioDriver driver;
    private long unique = 100;

    @AfterEach
    void stop() {
        workers.shutdownNow();
        deviceLoop.shutdownNow();
        if (device != null) {
            device.close();
        }
    }

    private void start(boolean readOnly) throws IOException {
        Path share = Files.createDirectories(dir.resolve("share"));
        Files.writeString(share.resolve("hello.txt"), "hello from the host\n");
        device = FsDevice.open(new FsDeviceConfig("workspace", share, readOnly, 64, 2, 1000, 1000, false), workers,
                task -> deviceLoop.execute(() -> {
                    assertThat(Thread.currentThread().getName()).isEqualTo("fake-device-loop");
                    task.run();
                }));
        MmioTransport transport = new MmioTransport(device, memory, interrupts::incrementAndGet, Runnable::run);
        driver = new VirtioMmioDriver(transport::read, transport::write);
        assertThat(driver.initialize(~0L, hiprio, requests)).isPositive();
    }

    private byte[] request(int opcode, long nodeId, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(40 + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(40 + body.length).putInt(opcode).putLong(unique++).putLong(nodeId).putInt(1000).putInt(1000).putInt(1).putInt(0).put(body);
        return b.array();
    }

    private static byte[] le(int... words) {
        ByteBuffer b = ByteBuffer.allocate(4 * words.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int w : words) {
            b.putInt(w);
        }
        return b.array();
    }

    private UsedElement awaitUsed(VirtqueueDriver queue) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            List<UsedElement> used = queue.takeUsed();
            if (!used.isEmpty()) {
                assertThat(used).hasSize(1);
                return used.get(0);
            }
            Thread.sleep(2);
        }
        throw new AssertionError("no used entry within 10 s");
    }

    private ByteBuffer reply(long at, int length) {
        byte[] b = new byte[length];
        memory.read(at, b, 0, length);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Sends {@code raw} split in two readable descriptors, with a 16-byte header and a body buffer writable. */
    private ByteBuffer roundTrip(byte[] raw, int bodyRoom) throws InterruptedException {
        memory.write(REQ, raw, 0, raw.length);
        int split = Math.min(20, raw.length);
        requests.addChain(readable(REQ, split), readable(REQ + split, raw.length - split), writable(OUT, 16),
                writable(OUT + 0x1000, bodyRoom));
        driver.notifyQueue(FsDevice.REQUEST_QUEUE);
        UsedElement used = awaitUsed(requests);
        ByteBuffer header = reply(OUT, 16);
        int len = header.getInt(0);
        assertThat(used.length()).isEqualTo(len);
        ByteBuffer whole = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        whole.put(header.array(), 0, 16);
        if (len > 16) {
            whole.put(reply(OUT + 0x1000, len - 16).array());
        }
        return whole.flip();
    }

    private void init() throws InterruptedException {
        byte[] body = new byte[64];
        ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putInt(36).putInt(65536).putInt(0);
        ByteBuffer r = roundTrip(request(FuseOpcode.INIT, 0, body), 64);
        assertThat(r.getInt(4)).isZero();
        assertThat(r.getInt(16)).isEqualTo(7);
        assertThat(r.getInt(20)).isEqualTo(31);
    }

    @Test
    void configHoldsTheTagAndOneRequestQueue() throws IOException {
        start(false);
        assertThat(driver.readRegister(VirtioMmioDriver.DEVICE_ID)).isEqualTo(DeviceType.FS);
        byte[] tag = new byte[36];
        for (int i = 0; i < 36; i += 4) {
            System.arraycopy(driver.readConfig(i, 4), 0, tag, i, 4);
        }
        assertThat(new String(tag, StandardCharsets.US_ASCII)).startsWith("workspace\0");
        assertThat(tag[35]).isZero();
        assertThat(ByteBuffer.wrap(driver.readConfig(36, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt()).isEqualTo(1);
        assertThat(driver.readConfig(40, 4)).containsOnly(0);
        assertThat(driver.deviceFeatures() & 0xFF_FFFFL).as("no device feature bits").isZero();
    }

    @Test
    void configRefusesBadTagsAndSizes() {
        Path p = dir;
        assertThatThrownBy(() -> FsDeviceConfig.of("", p, false)).hasMessageContaining("tag");
        assertThatThrownBy(() -> FsDeviceConfig.of("x".repeat(37), p, false)).hasMessageContaining("36");
        assertThatThrownBy(() -> FsDeviceConfig.of("has space", p, false)).hasMessageContaining("without spaces");
        assertThatThrownBy(() -> new FsDeviceConfig("t", p, false, 100, 2, 1000, 1000, false)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new FsDeviceConfig("t", p, false, 64, 0, 1000, 1000, false)).hasMessageContaining("worker");
    }

    @Test
    void aRequestChainGoesInAndItsReplyComesOutOnTheDeviceLoop() throws Exception {
        start(false);
        init();
        ByteBuffer r = roundTrip(request(FuseOpcode.LOOKUP, 1, "hello.txt\0".getBytes(StandardCharsets.UTF_8)), 128);
        assertThat(r.getInt(0)).isEqualTo(16 + 128);
        assertThat(r.getInt(4)).isZero();
        assertThat(r.getLong(8)).isEqualTo(unique - 1);
        long node = r.getLong(16);
        assertThat(node).isGreaterThan(1);
        assertThat(r.getLong(16 + 40 + 8)).as("attr.size").isEqualTo(20);

        ByteBuffer open = roundTrip(request(FuseOpcode.OPEN, node, le(0, 0)), 16);
        assertThat(open.getInt(4)).as("OPEN: ENOSYS, the guest reads by nodeid with fh 0 (fc->no_open)").isEqualTo(-38);
        ByteBuffer readIn = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putLong(0).putLong(11).putInt(100);
        ByteBuffer data = roundTrip(request(FuseOpcode.READ, node, readIn.array()), 100);
        assertThat(new String(data.array(), 16, data.limit() - 16, StandardCharsets.UTF_8)).isEqualTo("the host\n");
        assertThat(interrupts.get()).isPositive();
        synchronized (serveThreads) {
            assertThat(serveThreads).allMatch(n -> n.equals("fs-worker"));
        }
        FsDevice.Latency latency = device.latency();
        assertThat(latency.served()).as("INIT, LOOKUP, OPEN, READ").isEqualTo(4);
        assertThat(latency.handleNanos()).isPositive();
        assertThat(latency.serviceNanos()).as("pop to used includes the server's time")
                .isGreaterThanOrEqualTo(latency.handleNanos());
        assertThat(latency.maxServiceNanos() * latency.served()).isGreaterThanOrEqualTo(latency.serviceNanos());
        assertThat(latency.meanServiceMicros()).isEqualTo(latency.serviceNanos() / 1e3 / 4);
        assertThat(device.requestCounts()).containsExactly(Map.entry("LOOKUP", 1L), Map.entry("OPEN", 1L),
                Map.entry("READ", 1L), Map.entry("INIT", 1L));
    }

    @Test
    void hiprioForgetIsReturnedWithoutAReply() throws Exception {
        start(false);
        init();
        ByteBuffer r = roundTrip(request(FuseOpcode.LOOKUP, 1, "hello.txt\0".getBytes(StandardCharsets.UTF_8)), 128);
        long node = r.getLong(16);
        assertThat(device.server().inodeCount()).isEqualTo(2);
        byte[] forget = request(FuseOpcode.FORGET, node, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(1).array());
        memory.write(REQ, forget, 0, forget.length);
        hiprio.addChain(readable(REQ, forget.length));
        driver.notifyQueue(FsDevice.HIPRIO_QUEUE);
        assertThat(awaitUsed(hiprio).length()).isZero();
        assertThat(device.server().inodeCount()).isEqualTo(1);
    }

    @Test
    void chainsTooShortOrTooLongAreReturnedUnserved() throws Exception {
        start(false);
        requests.addChain(readable(REQ, 39), writable(OUT, 16));
        driver.notifyQueue(FsDevice.REQUEST_QUEUE);
        assertThat(awaitUsed(requests).length()).isZero();
        requests.addChain(readable(REQ, FsDevice.MAX_REQUEST_BYTES + 1L), writable(OUT, 16));
        driver.notifyQueue(FsDevice.REQUEST_QUEUE);
        assertThat(awaitUsed(requests).length()).isZero();
        assertThat(device.refusedChains()).isEqualTo(2);
        assertThat(device.server().requests()).isZero();
    }

    @Test
    void aReplyLargerThanTheWritableBuffersBecomesEio() throws Exception {
        start(false);
        init();
        byte[] lookup = request(FuseOpcode.LOOKUP, 1, "hello.txt\0".getBytes(StandardCharsets.UTF_8));
        memory.write(REQ, lookup, 0, lookup.length);
        requests.addChain(readable(REQ, lookup.length), writable(OUT, 40));
        driver.notifyQueue(FsDevice.REQUEST_QUEUE);
        assertThat(awaitUsed(requests).length()).isEqualTo(16);
        assertThat(reply(OUT, 16).getInt(4)).isEqualTo(-5);
    }

    @Test
    void aWriteOnAReadOnlyShareIsRefusedWithErofs() throws Exception {
        start(true);
        init();
        byte[] body = ByteBuffer.allocate(16 + 2).order(ByteOrder.LITTLE_ENDIAN).putInt(0101).putInt(0644).putInt(022).putInt(0)
                .put((byte) 'x').put((byte) 0).array();
        ByteBuffer r = roundTrip(request(FuseOpcode.CREATE, 1, body), 200);
        assertThat(r.getInt(4)).isEqualTo(-30);
    }

    @Test
    void aRejectedSubmissionIsAnsweredEagain() throws Exception {
        workers.shutdownNow();
        workers = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1)) {
            @Override
            public void execute(Runnable command) {
                throw new RejectedExecutionException("full");
            }
        };
        start(false);
        byte[] lookup = request(FuseOpcode.LOOKUP, 1, "hello.txt\0".getBytes(StandardCharsets.UTF_8));
        memory.write(REQ, lookup, 0, lookup.length);
        requests.addChain(readable(REQ, lookup.length), writable(OUT, 200));
        driver.notifyQueue(FsDevice.REQUEST_QUEUE);
        assertThat(awaitUsed(requests).length()).isEqualTo(16);
        assertThat(reply(OUT, 16).getInt(4)).isEqualTo(-11);
        assertThat(device.rejectedSubmissions()).isEqualTo(1);
    }

    @Test
    void aResetDropsCompletionsOfTheOldQueuesAndForgetsInodes() throws Exception {
        List<Runnable> parked = new ArrayList<>();
        workers.shutdownNow();
        workers = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>()) {
            @Override
            public void execute(Runnable command) {
                parked.add(command);
            }
        };
        start(false);
        byte[] init = request(FuseOpcode.INIT, 0, le(7, 31, 0, 0));
        memory.write(REQ, init, 0, init.length);
        requests.addChain(readable(REQ, init.length), writable(OUT, 100));
        driver.notifyQueue(FsDevice.REQUEST_QUEUE);
        assertThat(parked).hasSize(1);
        driver.reset();
        memory.writeInt(OUT, 0xDEAD);
        parked.get(0).run();
        deviceLoop.submit(() -> { }).get();
        assertThat(requests.takeUsed()).isEmpty();
        assertThat(memory.readInt(OUT)).as("no reply written after the reset").isEqualTo(0xDEAD);
    }
}
