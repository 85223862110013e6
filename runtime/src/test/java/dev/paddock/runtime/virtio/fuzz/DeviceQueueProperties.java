package dev.paddock.runtime.virtio.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.virtio.DeviceState;
import dev.paddock.runtime.virtio.VirtioDevice;
import dev.paddock.runtime.virtio.block.BlockDevice;
import dev.paddock.runtime.virtio.block.BlockDeviceConfig;
import dev.paddock.runtime.virtio.mmio.MmioTransport;
import dev.paddock.runtime.virtio.rng.RngDevice;
import dev.paddock.runtime.virtio.rng.RngDeviceConfig;
import dev.paddock.testkit.VirtioMmioDriver;
import dev.paddock.testkit.VirtqueueDriver;
import dev.paddock.testkit.VirtqueueDriver.UsedElement;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * Each device's queue driven through the MMIO transport with random descriptor tables (see
 * {@link HostileRing}), after Linux's probe sequence. Whatever the table holds: nothing escapes
 * queueNotified, every used entry names a head inside the table, the used index never passes what was
 * made available, either every available request was answered or the device is in NEEDS_RESET, and a
 * reset always brings device and transport back to their initial state.
 */
class DeviceQueueProperties {
    private static final long ALL_FEATURES = ~0L;
    private static final long NO_INDIRECT = ~(1L << 28);

    private final HeapGuestMemory memory = HeapGuestMemory.of(HostileRing.RAM);
    private Path image;
    private BlockDevice block;

    @AfterProperty
    void cleanUp() throws IOException {
        if (block != null) {
            block.close();
        }
        if (image != null) {
            Files.deleteIfExists(image);
        }
    }

    @Property(tries = 250_000)
    void rngAnswersOrNeedsReset(@ForAll long seed) {
        if (rng == null) {
            rng = new RngDevice(new RngDeviceConfig(HostileRing.MAX_SIZE, 256), new SecureRandom());
            rngTransport = transport(rng);
        }
        List<UsedElement> used = drive(seed, rng, rngTransport, false);
        assertThat(used).allSatisfy(u -> assertThat(u.length()).isBetween(0, 256));
    }

    private RngDevice rng;
    private MmioTransport rngTransport;
    private MmioTransport blockTransport;

    @Property(tries = 200_000)
    void blockAnswersOrNeedsReset(@ForAll long seed) {
        if (block == null) {
            block = openBlock();
            blockTransport = transport(block);
        }
        List<UsedElement> used = drive(seed, block, blockTransport, true);
        assertThat(used).allSatisfy(u -> assertThat((long) u.length()).isBetween(0L, BlockDevice.MAX_REQUEST_BYTES + 1));
    }

    private BlockDevice openBlock() {
        try {
            Path shm = Path.of("/dev/shm");
            // tmpfs makes FLUSH (fdatasync) free; the property is about the device, not the disk.
            image = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempFile(shm, "paddock-blk-fuzz", ".raw")
                    : Files.createTempFile("paddock-blk-fuzz", ".raw");
            Files.write(image, new byte[64 * 512]);
            return BlockDevice.open(new BlockDeviceConfig(image, false, "fuzz"), new InlineExecutor());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private MmioTransport transport(VirtioDevice device) {
        return new MmioTransport(device, memory, () -> { }, Runnable::run);
    }

    private List<UsedElement> drive(long seed, VirtioDevice device, MmioTransport transport, boolean blockHeaders) {
        SplittableRandom random = new SplittableRandom(seed);
        VirtioMmioDriver mmio = new VirtioMmioDriver(transport::read, transport::write);
        VirtqueueDriver queue = new VirtqueueDriver(memory, HostileRing.RING_BASE, HostileRing.queueSize(random));
        long accepted = mmio.initialize(random.nextBoolean() ? ALL_FEATURES : NO_INDIRECT, queue);
        assertThat(accepted).isPositive();
        assertThat(transport.isActive()).isTrue();
        assertThat(device.state()).isInstanceOf(DeviceState.Active.class);

        HostileRing.Published published = HostileRing.write(random, queue, blockHeaders);
        if (random.nextBoolean()) {
            transport.queueNotified(0);
        } else {
            mmio.notifyQueue(0);
        }

        assertThat(transport.lastError()).as("a device bug, caught by the transport").doesNotContain("device failed");
        List<UsedElement> used = List.of();
        if (!published.ringsAliased()) {
            int usedIndex = queue.usedIndex();
            used = queue.takeUsed();
            boolean needsReset = (mmio.status() & VirtioMmioDriver.NEEDS_RESET) != 0;
            assertThat(usedIndex).as("used.idx never passes what was made available").isLessThanOrEqualTo(published.size());
            if (!needsReset) {
                assertThat(usedIndex).as("every available request answered").isEqualTo(published.availableIndex());
            }
            assertThat(used).allSatisfy(u -> assertThat(u.id()).isBetween(0, published.size() - 1));
        }

        mmio.reset();
        assertThat(mmio.status()).isZero();
        assertThat(transport.isActive()).isFalse();
        assertThat(device.state()).isEqualTo(DeviceState.INACTIVE);
        return used;
    }

    /** The VMM's worker pool, inline: the property checks outcomes, not concurrency. */
    private static final class InlineExecutor extends AbstractExecutorService {
        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public void shutdown() {
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return false;
        }
    }
}
