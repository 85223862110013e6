package dev.paddock.runtime.virtio.fs;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.memory.GuestMemoryException;
import dev.paddock.runtime.virtio.ActivationException;
import dev.paddock.runtime.virtio.DeviceActivation;
import dev.paddock.runtime.virtio.DeviceState;
import dev.paddock.runtime.virtio.DeviceType;
import dev.paddock.runtime.virtio.VirtioDevice;
import dev.paddock.runtime.virtio.fs.fuse.CacheTimeouts;
import dev.paddock.runtime.virtio.fs.fuse.FuseOpcode;
import dev.paddock.runtime.virtio.fs.fuse.FuseProtocol;
import dev.paddock.runtime.virtio.fs.fuse.FuseServer;
import dev.paddock.runtime.virtio.queue.BrokenQueueException;
import dev.paddock.runtime.virtio.queue.BufferCursor;
import dev.paddock.runtime.virtio.queue.DescriptorChain;
import dev.paddock.runtime.virtio.queue.VirtQueue;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;

/**
 * virtio-fs (virtio 1.2 §5.11, device ID 26): FUSE over virtqueues, served by an in-process
 * {@link FuseServer} for one host directory.
 *
 * <p>Queues: 0 is hiprio (FORGET, BATCH_FORGET, INTERRUPT: no reply, the chain is just returned), 1 is the
 * one request queue (config num_request_queues = 1). Each request chain carries the fuse_in_header and the
 * op's input in its readable buffers and has room for the fuse_out_header and output in its writable ones.
 *
 * <p>Threading: {@link #processQueue} runs on the device event loop; it only pops chains and hands each to
 * the bounded worker pool. A worker copies the request out of guest memory, runs it against the host file
 * system, copies the reply into the chain's writable buffers, and passes the completion (used entry and
 * interrupt) to the {@code completions} executor, the device event loop. Nothing here runs on a vCPU thread.
 * After a reset the old queues are retired: a worker still running checks before it touches guest memory,
 * and a late completion is dropped.
 */
public final class FsDevice implements VirtioDevice, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FsDevice.class.getName());

    public static final int HIPRIO_QUEUE = 0;
    public static final int REQUEST_QUEUE = 1;
    /** virtio_fs_config: u8 tag[36], le32 num_request_queues. */
    public static final int CONFIG_BYTES = FsDeviceConfig.TAG_BYTES + 4;
    /** The largest readable part of a request we copy: the biggest FUSE request plus slack for its framing. */
    public static final int MAX_REQUEST_BYTES = FuseProtocol.MAX_REQUEST_BYTES + 4096;

    private final FsDeviceConfig config;
    private final FuseServer server;
    private final ExecutorService workers;
    private final Executor completions;
    private final byte[] configSpace = new byte[CONFIG_BYTES];
    private volatile DeviceState state = DeviceState.INACTIVE;
    private ShareWatcher watcher;

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong refusedChains = new AtomicLong();
    private final AtomicLong rejectedSubmissions = new AtomicLong();
    private final LongAdder served = new LongAdder();
    private final LongAdder handleNanos = new LongAdder();
    private final LongAdder serviceNanos = new LongAdder();
    private final LongAccumulator maxServiceNanos = new LongAccumulator(Math::max, 0);

    FsDevice(FsDeviceConfig config, FuseServer server, ExecutorService workers, Executor completions) {
        this.config = config;
        this.server = server;
        this.workers = workers;
        this.completions = completions;
        byte[] tag = config.tag().getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(tag, 0, configSpace, 0, tag.length);
        ByteBuffer.wrap(configSpace).order(ByteOrder.LITTLE_ENDIAN).putInt(FsDeviceConfig.TAG_BYTES, 1);
    }

    /**
     * Opens the share of {@code config}.
     *
     * @param workers     the bounded pool requests run on (owned by the caller, not shut down here)
     * @param completions where completions run: the VM's device event loop
     * @throws IOException when the shared directory cannot be opened (the message names it)
     */
    public static FsDevice open(FsDeviceConfig config, ExecutorService workers, Executor completions) throws IOException {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(workers, "workers");
        Objects.requireNonNull(completions, "completions");
        FuseServer server = FuseServer.open(config.sharedDir(), config.readOnly(), config.agentUid(), config.agentGid(),
                CacheTimeouts.DEFAULT, config.hostInvalidated());
        return new FsDevice(config, server, workers, completions);
    }

    public FsDeviceConfig config() {
        return config;
    }

    public FuseServer server() {
        return server;
    }

    @Override
    public int deviceType() {
        return DeviceType.FS;
    }

    @Override
    public long deviceFeatures() {
        return 0; // VIRTIO_FS_F_NOTIFICATION (bit 0) is not offered: no notification queue.
    }

    @Override
    public int[] queueMaxSizes() {
        return new int[] {config.queueSize(), config.queueSize()};
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
        // virtio_fs_config is read-only for the driver (§5.11.4).
    }

    @Override
    public void activate(DeviceActivation activation) throws ActivationException {
        activation.requireQueue(HIPRIO_QUEUE);
        activation.requireQueue(REQUEST_QUEUE);
        state = new DeviceState.Active(activation);
    }

    @Override
    public void reset() {
        state = DeviceState.INACTIVE;
        server.reset();
    }

    @Override
    public DeviceState state() {
        return state;
    }

    @Override
    public void close() {
        stopWatchingHost();
        server.close();
    }

    /**
     * Starts telling the guest about host changes to the share through {@code invalidator} ({@link ShareWatcher}),
     * and from then on lets the guest cache entries and attributes for {@link CacheTimeouts#HOST_INVALIDATED}.
     * Blocking: it walks the share. Should the watcher stop on its own (the guest did not answer), later replies go
     * back to {@link CacheTimeouts#DEFAULT}.
     *
     * @throws IOException when the share cannot be watched; the timeouts then stay short
     */
    public synchronized ShareWatcher watchHost(ShareWatcher.Invalidator invalidator) throws IOException {
        if (watcher != null && watcher.isRunning()) {
            throw new IllegalStateException("the share " + config.sharedDir() + " is watched already");
        }
        ShareWatcher w = ShareWatcher.start(config.sharedDir(), server.ownChanges(), invalidator,
                cause -> server.cacheTimeouts(CacheTimeouts.DEFAULT));
        watcher = w;
        server.cacheTimeouts(CacheTimeouts.HOST_INVALIDATED);
        return w;
    }

    /** The host watcher while one runs (for its counts). */
    public synchronized java.util.Optional<ShareWatcher> hostWatcher() {
        return java.util.Optional.ofNullable(watcher).filter(ShareWatcher::isRunning);
    }

    /** Stops the host watcher, if any, and goes back to short timeouts (the guest's agent went away). */
    public synchronized void stopWatchingHost() {
        if (watcher != null) {
            server.cacheTimeouts(CacheTimeouts.DEFAULT);
            watcher.close();
            watcher = null;
        }
    }

    public long requests() {
        return requests.get();
    }

    /** Chains refused without reaching the server (no room for a header, or larger than any request). */
    public long refusedChains() {
        return refusedChains.get();
    }

    public long rejectedSubmissions() {
        return rejectedSubmissions.get();
    }

    /**
     * Where a request's time goes inside the VMM, summed over the requests served so far: {@code handleNanos}
     * in the FUSE server, {@code serviceNanos} from the device loop popping the chain to its used entry being
     * written (the hand-offs to a worker and back included). What a guest waits beyond that is its exits,
     * interrupts and scheduling.
     */
    public record Latency(long served, long handleNanos, long serviceNanos, long maxServiceNanos) {
        public double meanHandleMicros() {
            return served == 0 ? 0 : handleNanos / 1e3 / served;
        }

        public double meanServiceMicros() {
            return served == 0 ? 0 : serviceNanos / 1e3 / served;
        }
    }

    public Latency latency() {
        return new Latency(served.sum(), handleNanos.sum(), serviceNanos.sum(), maxServiceNanos.get());
    }

    /**
     * The FUSE requests the share's server took, by opcode name ({@link FuseServer#requestCounts}): what a guest
     * workload costs in round trips of each kind, e.g. the OPENs and READs of one {@code git status}.
     */
    public Map<String, Long> requestCounts() {
        return server.requestCounts();
    }

    @Override
    public void processQueue(int index) {
        if ((index != HIPRIO_QUEUE && index != REQUEST_QUEUE) || !(state instanceof DeviceState.Active active)) {
            return;
        }
        DeviceActivation activation = active.activation();
        VirtQueue queue = activation.queue(index).orElseThrow();
        try {
            DescriptorChain chain;
            while ((chain = queue.pop()) != null) {
                requests.incrementAndGet();
                submit(activation, queue, chain);
            }
        } catch (BrokenQueueException e) {
            activation.link().enterNeedsReset(e.getMessage());
        }
        activation.notifyUsed(queue);
    }

    private void submit(DeviceActivation activation, VirtQueue queue, DescriptorChain chain) {
        // GUEST-CONTROLLED: a request has at least a whole fuse_in_header and is never bigger than the largest
        // one we serve, so a worker copies at most MAX_REQUEST_BYTES per request.
        long readable = chain.readableBytes();
        if (readable < FuseProtocol.IN_HEADER_BYTES || readable > MAX_REQUEST_BYTES) {
            refusedChains.incrementAndGet();
            LOG.log(Level.DEBUG, "virtio-fs {0}: request chain of {1} readable bytes refused", config.tag(), readable);
            queue.addUsed(chain.head(), 0);
            return;
        }
        long popped = System.nanoTime();
        try {
            workers.execute(() -> serve(activation, queue, chain, popped));
        } catch (RejectedExecutionException e) {
            rejectedSubmissions.incrementAndGet();
            LOG.log(Level.WARNING, "virtio-fs {0}: worker pool rejected a request ({1}); answering EAGAIN",
                    config.tag(), e.getMessage());
            byte[] raw = readRequest(activation.memory(), chain);
            long unique = raw.length >= 16 ? ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong(8) : 0;
            int opcode = raw.length >= 8 ? ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getInt(4) : 0;
            complete(activation, queue, chain, FuseOpcode.hasNoReply(opcode) ? null : errorReply(unique, 11 /* EAGAIN */),
                    popped);
        }
    }

    private static byte[] readRequest(GuestMemory memory, DescriptorChain chain) {
        byte[] raw = new byte[(int) chain.readableBytes()];
        new BufferCursor(memory, chain.readable()).read(raw, 0, raw.length);
        return raw;
    }

    private void serve(DeviceActivation activation, VirtQueue queue, DescriptorChain chain, long popped) {
        byte[] reply;
        try {
            if (queue.isRetired()) {
                return;
            }
            byte[] raw = readRequest(activation.memory(), chain);
            long started = System.nanoTime();
            reply = server.handle(ByteBuffer.wrap(raw));
            handleNanos.add(System.nanoTime() - started);
        } catch (GuestMemoryException e) {
            LOG.log(Level.DEBUG, "virtio-fs {0}: request unreadable: {1}", config.tag(), e.getMessage());
            reply = null;
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "virtio-fs " + config.tag() + ": request failed unexpectedly", e);
            reply = null;
        }
        complete(activation, queue, chain, reply, popped);
    }

    /** Writes {@code reply} (if any) into the chain and returns it to the driver on the device loop. */
    private void complete(DeviceActivation activation, VirtQueue queue, DescriptorChain chain, byte[] reply,
                          long popped) {
        int written = 0;
        if (reply != null && !queue.isRetired()) {
            // GUEST-CONTROLLED: the writable buffers may be too small for the reply; then only an EIO header
            // goes back, or nothing when even that does not fit.
            if (reply.length > chain.writableBytes()) {
                long unique = ByteBuffer.wrap(reply).order(ByteOrder.LITTLE_ENDIAN).getLong(8);
                reply = chain.writableBytes() >= FuseProtocol.OUT_HEADER_BYTES ? errorReply(unique, 5 /* EIO */) : null;
            }
            if (reply != null) {
                try {
                    written = new BufferCursor(activation.memory(), chain.writable()).write(reply, 0, reply.length);
                } catch (GuestMemoryException e) {
                    LOG.log(Level.DEBUG, "virtio-fs {0}: reply unwritable: {1}", config.tag(), e.getMessage());
                    written = 0;
                }
            }
        }
        int usedLength = written;
        try {
            completions.execute(() -> {
                if (queue.addUsed(chain.head(), usedLength)) {
                    long took = System.nanoTime() - popped;
                    served.increment();
                    serviceNanos.add(took);
                    maxServiceNanos.accumulate(took);
                    activation.notifyUsed(queue);
                }
            });
        } catch (RejectedExecutionException e) {
            // The device loop has stopped: the VM is going away and nobody waits for this reply.
            LOG.log(Level.DEBUG, "virtio-fs {0}: completion dropped, the device loop has stopped", config.tag());
        }
    }

    private static byte[] errorReply(long unique, int errno) {
        return ByteBuffer.allocate(FuseProtocol.OUT_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(FuseProtocol.OUT_HEADER_BYTES).putInt(-errno).putLong(unique).array();
    }
}
