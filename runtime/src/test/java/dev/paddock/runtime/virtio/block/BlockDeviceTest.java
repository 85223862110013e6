package dev.paddock.runtime.virtio.block;

import static dev.paddock.testkit.VirtqueueDriver.Segment.readable;
import static dev.paddock.testkit.VirtqueueDriver.Segment.writable;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.virtio.DeviceType;
import dev.paddock.runtime.virtio.mmio.MmioTransport;
import dev.paddock.testkit.VirtioMmioDriver;
import dev.paddock.testkit.VirtqueueDriver;
import dev.paddock.testkit.VirtqueueDriver.UsedElement;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BlockDeviceTest {
    private static final int SECTORS = 2048; // 1 MiB
    private static final long HEADER = 0x10000;
    private static final long DATA = 0x20000;
    private static final long STATUS = 0x30000;

    @TempDir
    Path dir;

    private final HeapGuestMemory memory = HeapGuestMemory.ofSize(0x100_0000);
    private final AtomicInteger interrupts = new AtomicInteger();
    private final VirtqueueDriver queue = new VirtqueueDriver(memory, 0x1000, 64);
    private BlockDevice device;
    private MmioTransport transport;
    private VirtioMmioDriver driver;

    @AfterEach
    void close() throws IOException {
        if (device != null) {
            device.close();
        }
    }

    private Path image() throws IOException {
        byte[] bytes = new byte[SECTORS * 512 + 100]; // a trailing partial sector is not part of the disk
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i / 512 + i);
        }
        Path image = dir.resolve("disk.raw");
        Files.write(image, bytes);
        return image;
    }

    private void start(boolean readOnly, java.util.concurrent.ExecutorService workers) throws IOException {
        device = BlockDevice.open(new BlockDeviceConfig(image(), readOnly, "paddock-disk-1"), workers);
        transport = new MmioTransport(device, memory, interrupts::incrementAndGet, Runnable::run);
        driver = new VirtioMmioDriver(transport::read, transport::write);
        assertThat(driver.initialize(~0L, queue)).isPositive();
    }

    private void start(boolean readOnly) throws IOException {
        start(readOnly, new DirectExecutorService());
    }

    private void header(long at, int type, long sector) {
        memory.writeInt(at, type);
        memory.writeInt(at + 4, 0);
        memory.writeLong(at + 8, sector);
    }

    private int status() {
        return memory.readByte(STATUS) & 0xFF;
    }

    private UsedElement onlyUsed() {
        List<UsedElement> used = queue.takeUsed();
        assertThat(used).hasSize(1);
        return used.get(0);
    }

    @Test
    void configAndFeatures() throws IOException {
        start(false);
        assertThat(driver.readRegister(VirtioMmioDriver.DEVICE_ID)).isEqualTo(DeviceType.BLOCK);
        ByteBuffer config = ByteBuffer.wrap(driver.readConfig(0, 4)).order(ByteOrder.LITTLE_ENDIAN);
        long capacity = (config.getInt(0) & 0xFFFF_FFFFL) | (long) ByteBuffer.wrap(driver.readConfig(4, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt() << 32;
        assertThat(capacity).isEqualTo(SECTORS);
        assertThat(le32(driver.readConfig(8, 4))).isEqualTo(BlockDevice.SIZE_MAX);
        assertThat(le32(driver.readConfig(12, 4))).isEqualTo(BlockDevice.SEG_MAX);
        assertThat(le32(driver.readConfig(20, 4))).isEqualTo(512);
        assertThat(driver.readConfig(24, 4)).containsOnly(0);
        assertThat(driver.readConfig(0, 1)).containsExactly(0);
        assertThat(driver.readConfig(1, 2)).containsExactly(8, 0);
        long features = driver.deviceFeatures();
        assertThat(features & (1L << 9)).as("FLUSH").isNotZero();
        assertThat(features & (1L << 5)).as("not RO").isZero();
        assertThat(features & (1L << 32)).as("VERSION_1").isNotZero();
    }

    private static int le32(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    @Test
    void readsSectorsAcrossSplitBuffers() throws IOException {
        start(false);
        header(HEADER, BlockConstants.T_IN, 3);
        int head = queue.addChain(readable(HEADER, 8), readable(HEADER + 8, 8), writable(DATA, 700), writable(DATA + 0x1000, 324),
                writable(STATUS, 1));

        driver.notifyQueue(0);

        assertThat(onlyUsed()).isEqualTo(new UsedElement(head, 1025));
        assertThat(status()).isEqualTo(BlockConstants.S_OK);
        byte[] expected = new byte[1024];
        byte[] actual = new byte[1024];
        System.arraycopy(Files.readAllBytes(dir.resolve("disk.raw")), 3 * 512, expected, 0, 1024);
        memory.read(DATA, actual, 0, 700);
        memory.read(DATA + 0x1000, actual, 700, 324);
        assertThat(actual).isEqualTo(expected);
        assertThat(interrupts.get()).isEqualTo(1);
    }

    @Test
    void writesSectorsAndFlushes() throws IOException {
        start(false);
        byte[] data = new byte[1024];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (0xA0 ^ i);
        }
        memory.write(DATA, data, 0, data.length);
        header(HEADER, BlockConstants.T_OUT, SECTORS - 2);
        queue.addChain(readable(HEADER, 16), readable(DATA, 1024), writable(STATUS, 1));
        driver.notifyQueue(0);
        assertThat(onlyUsed().length()).isEqualTo(1);
        assertThat(status()).isEqualTo(BlockConstants.S_OK);
        byte[] file = Files.readAllBytes(dir.resolve("disk.raw"));
        byte[] written = new byte[1024];
        System.arraycopy(file, (SECTORS - 2) * 512, written, 0, 1024);
        assertThat(written).isEqualTo(data);

        memory.writeByte(STATUS, (byte) 0xFF);
        header(HEADER, BlockConstants.T_FLUSH, 0);
        queue.addChain(readable(HEADER, 16), writable(STATUS, 1));
        driver.notifyQueue(0);
        assertThat(onlyUsed().length()).isEqualTo(1);
        assertThat(status()).isEqualTo(BlockConstants.S_OK);
    }

    @Test
    void getIdReturnsTheSerialPadded() throws IOException {
        start(false);
        header(HEADER, BlockConstants.T_GET_ID, 0);
        memory.write(DATA, new byte[20], 0, 0);
        for (int i = 0; i < 20; i++) {
            memory.writeByte(DATA + i, (byte) 'x');
        }
        queue.addChain(readable(HEADER, 16), writable(DATA, 20), writable(STATUS, 1));
        driver.notifyQueue(0);
        assertThat(onlyUsed().length()).isEqualTo(21);
        byte[] id = new byte[20];
        memory.read(DATA, id, 0, 20);
        assertThat(new String(id, 0, 14, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("paddock-disk-1");
        assertThat(id[14]).isZero();
        assertThat(id[19]).isZero();
        assertThat(status()).isEqualTo(BlockConstants.S_OK);
    }

    @Test
    void readOnlyDiskRefusesWritesButReadsAndFlushes() throws IOException {
        start(true);
        assertThat(driver.deviceFeatures() & (1L << 5)).as("VIRTIO_BLK_F_RO").isNotZero();
        byte[] before = Files.readAllBytes(dir.resolve("disk.raw"));
        header(HEADER, BlockConstants.T_OUT, 0);
        queue.addChain(readable(HEADER, 16), readable(DATA, 512), writable(STATUS, 1));
        driver.notifyQueue(0);
        assertThat(onlyUsed().length()).isEqualTo(1);
        assertThat(status()).isEqualTo(BlockConstants.S_IOERR);
        assertThat(Files.readAllBytes(dir.resolve("disk.raw"))).isEqualTo(before);
        assertThat(device.ioErrors()).isEqualTo(1);

        header(HEADER, BlockConstants.T_FLUSH, 0);
        queue.addChain(readable(HEADER, 16), writable(STATUS, 1));
        driver.notifyQueue(0);
        onlyUsed();
        assertThat(status()).isEqualTo(BlockConstants.S_OK);

        header(HEADER, BlockConstants.T_IN, 0);
        queue.addChain(readable(HEADER, 16), writable(DATA, 512), writable(STATUS, 1));
        driver.notifyQueue(0);
        assertThat(onlyUsed().length()).isEqualTo(513);
        assertThat(status()).isEqualTo(BlockConstants.S_OK);
    }

    @Test
    void outOfRangeAndPartialSectorsAreIoErrors() throws IOException {
        start(false);
        long[][] cases = {
                {SECTORS - 1, 1024}, // runs past the end
                {SECTORS, 512},
                {Long.MAX_VALUE, 512},
                {-1L, 512}, // 2^64 - 1 unsigned
                {0, 100}, // not a whole sector
        };
        for (long[] c : cases) {
            memory.writeByte(STATUS, (byte) 0x7F);
            header(HEADER, BlockConstants.T_IN, c[0]);
            queue.addChain(readable(HEADER, 16), writable(DATA, c[1]), writable(STATUS, 1));
            driver.notifyQueue(0);
            assertThat(onlyUsed().length()).isEqualTo(1);
            assertThat(status()).as("sector %d, %d bytes", c[0], c[1]).isEqualTo(BlockConstants.S_IOERR);
        }
        header(HEADER, BlockConstants.T_IN, SECTORS - 1);
        queue.addChain(readable(HEADER, 16), writable(DATA, 512), writable(STATUS, 1));
        driver.notifyQueue(0);
        assertThat(status()).as("the last sector is fine").isEqualTo(BlockConstants.S_OK);
    }

    @Test
    void unsupportedTypesAndUnframedChains() throws IOException {
        start(false);
        header(HEADER, 11, 0); // VIRTIO_BLK_T_DISCARD: not offered
        queue.addChain(readable(HEADER, 32), writable(STATUS, 1));
        driver.notifyQueue(0);
        assertThat(onlyUsed().length()).isEqualTo(1);
        assertThat(status()).isEqualTo(BlockConstants.S_UNSUPP);

        queue.addChain(readable(HEADER, 8), writable(STATUS, 1)); // half a header
        queue.addChain(readable(HEADER, 16)); // no status byte
        driver.notifyQueue(0);
        assertThat(queue.takeUsed()).extracting(UsedElement::length).containsExactly(0, 0);
        assertThat(device.unframedRequests()).isEqualTo(2);
        assertThat(driver.status() & VirtioMmioDriver.NEEDS_RESET).isZero();
    }

    @Test
    void completesOnWorkerThreadsAndFailsWhatThePoolRejects() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1));
        try {
            start(false, pool);
            pool.execute(() -> {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < 2; i++) {
                header(HEADER + 32L * i, BlockConstants.T_IN, i);
                queue.addChain(readable(HEADER + 32L * i, 16), writable(DATA + 0x1000L * i, 512), writable(STATUS + i, 1));
            }
            driver.notifyQueue(0);
            assertThat(device.rejectedSubmissions()).as("one queued behind the gate, one rejected").isEqualTo(1);
            assertThat(queue.takeUsed()).extracting(UsedElement::length).containsExactly(1);
            assertThat(memory.readByte(STATUS + 1)).isEqualTo((byte) BlockConstants.S_IOERR);

            gate.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (queue.usedIndex() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(queue.takeUsed()).extracting(UsedElement::length).containsExactly(513);
            assertThat(memory.readByte(STATUS)).isEqualTo((byte) BlockConstants.S_OK);
            assertThat(interrupts.get()).isEqualTo(2);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void resetDropsLateCompletions() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(4));
        try {
            start(false, pool);
            pool.execute(() -> {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            header(HEADER, BlockConstants.T_IN, 0);
            memory.writeByte(STATUS, (byte) 0x55);
            queue.addChain(readable(HEADER, 16), writable(DATA, 512), writable(STATUS, 1));
            driver.notifyQueue(0);
            driver.reset();
            gate.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            assertThat(queue.usedIndex()).isZero();
            assertThat(memory.readByte(STATUS)).isEqualTo((byte) 0x55);
            assertThat(memory.readByte(DATA)).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void configAndImageErrorsNameTheProblem() throws IOException {
        assertThatThrownBy(() -> new BlockDeviceConfig(dir.resolve("x"), false, "this id is far too long for virtio"))
                .hasMessageContaining("at most 20 bytes");
        assertThatThrownBy(() -> new BlockDeviceConfig(dir.resolve("x"), false, "caf\u00e9")).hasMessageContaining("printable ASCII");
        Path tiny = Files.write(dir.resolve("tiny.raw"), new byte[100]);
        assertThatThrownBy(() -> BlockDevice.open(new BlockDeviceConfig(tiny, true, ""), new DirectExecutorService()))
                .isInstanceOf(IOException.class).hasMessageContaining("tiny.raw").hasMessageContaining("smaller than one 512-byte sector");
        assertThatThrownBy(() -> BlockDevice.open(new BlockDeviceConfig(dir.resolve("missing.raw"), true, ""), new DirectExecutorService()))
                .isInstanceOf(IOException.class).hasMessageContaining("missing.raw");
    }
}
