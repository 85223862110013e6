package dev.paddock.runtime.virtio.block;

import static dev.paddock.runtime.virtio.block.BlockConstants.*;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.memory.GuestMemoryException;
import dev.paddock.runtime.virtio.ActivationException;
import dev.paddock.runtime.virtio.DeviceActivation;
import dev.paddock.runtime.virtio.DeviceState;
import dev.paddock.runtime.virtio.DeviceType;
import dev.paddock.runtime.virtio.VirtioDevice;
import dev.paddock.runtime.virtio.VirtioFeatures;
import dev.paddock.runtime.virtio.queue.BrokenQueueException;
import dev.paddock.runtime.virtio.queue.BufferCursor;
import dev.paddock.runtime.virtio.queue.DescriptorChain;
import dev.paddock.runtime.virtio.queue.GuestBuffer;
import dev.paddock.runtime.virtio.queue.VirtQueue;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * virtio-blk (virtio 1.2 §5.2, device ID 2) over a raw image file: one request queue; IN, OUT, FLUSH and
 * GET_ID; VIRTIO_BLK_F_RO for read-only disks; SEG_MAX, SIZE_MAX, BLK_SIZE (512) and FLUSH offered.
 *
 * <p>Threading: {@link #processQueue} runs on the device event loop. It pops and frames each request,
 * answers GET_ID, unsupported types and requests that fail their checks at once, and hands IN, OUT and
 * FLUSH to the worker pool the VMM passes in (bounded; file I/O never runs on the event loop or a vCPU).
 * A worker does the positional I/O, writes the status byte, adds the used entry and raises the interrupt.
 * The used ring is the queue's to guard ({@link VirtQueue#addUsed} is synchronized); after a reset the old
 * queue is retired, so late completions are dropped before they touch guest memory (a worker checks
 * between chunks; a chunk already being copied finishes). The worker pool must be able to take a queue's
 * worth of requests from every block device it serves: a rejected submission fails that request with
 * VIRTIO_BLK_S_IOERR and is counted in {@link #rejectedSubmissions()}.
 */
public final class BlockDevice implements VirtioDevice, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(BlockDevice.class.getName());
    private static final int REQUEST_QUEUE = 0;

    /** QueueNumMax of the request queue. */
    public static final int QUEUE_SIZE = 256;
    /** seg_max: data segments per request; a request also needs a header and a status descriptor. */
    public static final int SEG_MAX = QUEUE_SIZE - 2;
    /** size_max: bytes per segment. */
    public static final int SIZE_MAX = 128 * 1024;
    /** The most data one request may carry: what seg_max and size_max allow a driver that keeps to them. */
    public static final long MAX_REQUEST_BYTES = (long) SEG_MAX * SIZE_MAX;
    /** Worker copy unit between the file and guest memory. */
    private static final int COPY_CHUNK = 128 * 1024;

    private final BlockDeviceConfig config;
    private final DiskImage disk;
    private final ExecutorService workers;
    private final byte[] configSpace;
    private final byte[] id;
    private volatile DeviceState state = DeviceState.INACTIVE;

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong ioErrors = new AtomicLong();
    private final AtomicLong unsupported = new AtomicLong();
    private final AtomicLong unframed = new AtomicLong();
    private final AtomicLong rejectedSubmissions = new AtomicLong();

    private BlockDevice(BlockDeviceConfig config, DiskImage disk, ExecutorService workers) {
        this.config = config;
        this.disk = disk;
        this.workers = workers;
        this.id = config.id().getBytes(StandardCharsets.US_ASCII);
        this.configSpace = new byte[CONFIG_BYTES];
        ByteBuffer c = ByteBuffer.wrap(configSpace).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        c.putLong(CONFIG_CAPACITY, disk.capacitySectors());
        c.putInt(CONFIG_SIZE_MAX, SIZE_MAX);
        c.putInt(CONFIG_SEG_MAX, SEG_MAX);
        c.putInt(CONFIG_BLK_SIZE, SECTOR_SIZE);
    }

    /**
     * Opens the image of {@code config}.
     *
     * @param workers the bounded pool file I/O runs on; owned by the VMM, not shut down here
     * @throws IOException when the image cannot be opened (the message names it)
     */
    public static BlockDevice open(BlockDeviceConfig config, ExecutorService workers) throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(workers, "workers");
        return new BlockDevice(config, DiskImage.open(config.image(), config.readOnly()), workers);
    }

    public BlockDeviceConfig config() {
        return config;
    }

    public long capacitySectors() {
        return disk.capacitySectors();
    }

    @Override
    public int deviceType() {
        return DeviceType.BLOCK;
    }

    @Override
    public long deviceFeatures() {
        long features = VirtioFeatures.bit(F_SIZE_MAX) | VirtioFeatures.bit(F_SEG_MAX) | VirtioFeatures.bit(F_BLK_SIZE)
                | VirtioFeatures.bit(F_FLUSH);
        return config.readOnly() ? features | VirtioFeatures.bit(F_RO) : features;
    }

    @Override
    public int[] queueMaxSizes() {
        return new int[] {QUEUE_SIZE};
    }

    @Override
    public void readConfig(int offset, byte[] data) {
        // GUEST-CONTROLLED: offset and width; bytes past our config read as zero.
        for (int i = 0; i < data.length; i++) {
            long at = (long) offset + i;
            data[i] = at >= 0 && at < configSpace.length ? configSpace[(int) at] : 0;
        }
    }

    @Override
    public void writeConfig(int offset, byte[] data) {
        // Every field we expose is read-only (writeback needs VIRTIO_BLK_F_CONFIG_WCE, not offered).
    }

    @Override
    public void activate(DeviceActivation activation) throws ActivationException {
        activation.requireQueue(REQUEST_QUEUE);
        state = new DeviceState.Active(activation);
    }

    @Override
    public void reset() {
        state = DeviceState.INACTIVE;
    }

    @Override
    public DeviceState state() {
        return state;
    }

    @Override
    public void close() throws IOException {
        disk.close();
    }

    public long requests() {
        return requests.get();
    }

    public long ioErrors() {
        return ioErrors.get();
    }

    public long unsupportedRequests() {
        return unsupported.get();
    }

    /** Chains without room for a header or a status byte, returned with length 0. */
    public long unframedRequests() {
        return unframed.get();
    }

    public long rejectedSubmissions() {
        return rejectedSubmissions.get();
    }

    @Override
    public void processQueue(int index) {
        if (index != REQUEST_QUEUE || !(state instanceof DeviceState.Active active)) {
            return;
        }
        DeviceActivation activation = active.activation();
        VirtQueue queue = activation.queue(REQUEST_QUEUE).orElseThrow();
        try {
            DescriptorChain chain;
            while ((chain = queue.pop()) != null) {
                requests.incrementAndGet();
                serve(activation, queue, chain);
            }
        } catch (BrokenQueueException e) {
            activation.link().enterNeedsReset(e.getMessage());
        } catch (GuestMemoryException e) {
            activation.link().enterNeedsReset("virtio-blk: guest memory unusable: " + e.getMessage());
        }
        activation.notifyUsed(queue);
    }

    private void serve(DeviceActivation activation, VirtQueue queue, DescriptorChain chain) {
        GuestMemory memory = activation.memory();
        BlockRequest request = BlockRequest.parse(memory, chain);
        if (request == null) {
            unframed.incrementAndGet();
            queue.addUsed(chain.head(), 0);
            return;
        }
        switch (request.type()) {
            case T_GET_ID -> {
                int n = (int) Math.min(ID_BYTES, request.dataBytes());
                byte[] padded = new byte[n];
                System.arraycopy(id, 0, padded, 0, Math.min(n, id.length));
                new BufferCursor(memory, request.data()).write(padded, 0, n);
                complete(memory, queue, request, S_OK, n + 1);
            }
            case T_IN, T_OUT -> {
                String problem = checkTransfer(request);
                if (problem != null) {
                    fail(memory, queue, request, problem);
                } else {
                    submit(activation, queue, request);
                }
            }
            case T_FLUSH -> submit(activation, queue, request);
            default -> {
                unsupported.incrementAndGet();
                complete(memory, queue, request, S_UNSUPP, 1);
            }
        }
    }

    /** Why a read or write cannot be done, or null. */
    private String checkTransfer(BlockRequest r) {
        if (r.type() == T_OUT && disk.readOnly()) {
            return "write to read-only disk";
        }
        // GUEST-CONTROLLED: whole sectors, at most what seg_max × size_max allow, and inside the disk
        // (overflow-safe: compare against what is left after the start sector).
        if ((r.dataBytes() & (SECTOR_SIZE - 1)) != 0) {
            return "data length %d is not a whole number of sectors".formatted(r.dataBytes());
        }
        if (r.dataBytes() > MAX_REQUEST_BYTES) {
            return "data length %d exceeds %d".formatted(r.dataBytes(), MAX_REQUEST_BYTES);
        }
        long capacity = disk.capacitySectors();
        if (r.sector() < 0 || r.sector() > capacity || (r.dataBytes() >>> SECTOR_SHIFT) > capacity - r.sector()) {
            return "sectors [%s, +%d) outside the disk of %d sectors"
                    .formatted(Long.toUnsignedString(r.sector()), r.dataBytes() >>> SECTOR_SHIFT, capacity);
        }
        return null;
    }

    private void submit(DeviceActivation activation, VirtQueue queue, BlockRequest request) {
        try {
            workers.execute(() -> runOnWorker(activation, queue, request));
        } catch (RejectedExecutionException e) {
            rejectedSubmissions.incrementAndGet();
            LOG.log(Level.WARNING, "virtio-blk {0}: worker pool rejected a request ({1}); failing it with IOERR",
                    disk.path(), e.getMessage());
            fail(activation.memory(), queue, request, "worker pool full");
        }
    }

    private void runOnWorker(DeviceActivation activation, VirtQueue queue, BlockRequest request) {
        GuestMemory memory = activation.memory();
        try {
            int used = switch (request.type()) {
                case T_IN -> read(memory, queue, request);
                case T_OUT -> write(memory, request);
                case T_FLUSH -> {
                    if (!disk.readOnly()) {
                        disk.flush();
                    }
                    yield 1;
                }
                default -> throw new IllegalStateException("request type %d reached a worker".formatted(request.type()));
            };
            complete(memory, queue, request, S_OK, used);
        } catch (IOException | GuestMemoryException e) {
            fail(memory, queue, request, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "virtio-blk " + disk.path() + ": request failed unexpectedly", e);
            fail(memory, queue, request, e.toString());
        }
        activation.notifyUsed(queue);
    }

    private int read(GuestMemory memory, VirtQueue queue, BlockRequest r) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(COPY_CHUNK, Math.max(1, r.dataBytes())));
        long position = r.sector() << SECTOR_SHIFT;
        for (GuestBuffer b : r.data()) {
            long done = 0;
            while (done < b.length()) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), b.length() - done));
                disk.readFully(chunk, position);
                if (queue.isRetired()) {
                    return 0;
                }
                chunk.flip();
                memory.write(b.address() + done, chunk);
                position += chunk.limit();
                done += chunk.limit();
            }
        }
        return (int) r.dataBytes() + 1;
    }

    private int write(GuestMemory memory, BlockRequest r) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocate((int) Math.min(COPY_CHUNK, Math.max(1, r.dataBytes())));
        long position = r.sector() << SECTOR_SHIFT;
        for (GuestBuffer b : r.data()) {
            long done = 0;
            while (done < b.length()) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), b.length() - done));
                memory.read(b.address() + done, chunk);
                chunk.flip();
                disk.writeFully(chunk, position);
                position += chunk.limit();
                done += chunk.limit();
            }
        }
        return 1;
    }

    private void fail(GuestMemory memory, VirtQueue queue, BlockRequest request, String why) {
        ioErrors.incrementAndGet();
        LOG.log(Level.DEBUG, "virtio-blk {0}: request type {1} sector {2} failed: {3}",
                disk.path(), request.type(), Long.toUnsignedString(request.sector()), why);
        complete(memory, queue, request, S_IOERR, 1);
    }

    /** Writes the status byte and returns the request, unless the queue was retired by a reset. */
    private static void complete(GuestMemory memory, VirtQueue queue, BlockRequest request, int status, int usedLength) {
        if (queue.isRetired()) {
            return;
        }
        try {
            memory.writeByte(request.statusAddress(), (byte) status);
        } catch (GuestMemoryException e) {
            // The status byte was checked with its chain; memory itself is gone (teardown): nothing to tell.
            LOG.log(Level.DEBUG, "virtio-blk: status byte unwritable: " + e.getMessage());
            return;
        }
        queue.addUsed(request.head(), usedLength);
    }
}
