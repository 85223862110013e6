package dev.paddock.runtime.virtio.vsock;

import static dev.paddock.runtime.virtio.vsock.VsockConstants.*;

import dev.paddock.runtime.virtio.ActivationException;
import dev.paddock.runtime.virtio.DeviceActivation;
import dev.paddock.runtime.virtio.DeviceState;
import dev.paddock.runtime.virtio.DeviceType;
import dev.paddock.runtime.virtio.VirtioDevice;
import dev.paddock.runtime.virtio.VirtioFeatures;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * virtio-vsock (virtio 1.2 §5.10, device ID 19; include/uapi/linux/virtio_vsock.h): the guest's AF_VSOCK
 * sockets to the host (CID 2). Three queues (RX, TX, EVENT), config space {@code le64 guest_cid}, stream
 * sockets only (VIRTIO_VSOCK_F_STREAM; SEQPACKET is not offered).
 *
 * <p>Guest-initiated streams go to the {@link VsockBackend}; host-initiated ones come through
 * {@link VsockConnector#connect}. The per-stream state machine and credit accounting are {@link VsockConnection}'s;
 * the connection table and the queue work are the {@link VsockActivation}'s, one per activation.
 *
 * <p>Threading: every queue, every stream and every peer callback lives on the device event loop, whose
 * {@link Executor} the VMM passes in: {@link #processQueue} arrives there from the transport, and calls from
 * the host ({@link VsockStream}, {@link #connect}, {@link #transportReset}) are queued to it. Driver reset
 * (a vCPU thread) only swaps the state and queues the old activation's end. Nothing here blocks.
 */
public final class VsockDevice implements VirtioDevice, VsockConnector, AutoCloseable {
    private final VsockDeviceConfig config;
    private final VsockBackend backend;
    private final LoopTasks tasks;
    private final VsockMetrics metrics = new VsockMetrics();
    private final byte[] configSpace = new byte[CONFIG_BYTES];
    private volatile DeviceState state = DeviceState.INACTIVE;
    /** The current activation, or null while inactive. Written on vCPU threads, used on the loop. */
    private volatile VsockActivation active;
    /** An activation whose end is queued to the loop but has not run yet (so {@link #close} can finish it). */
    private volatile VsockActivation ending;

    /**
     * @param loop runs tasks on the VM's device event loop (the thread that also calls {@link #processQueue})
     */
    public VsockDevice(VsockDeviceConfig config, VsockBackend backend, Executor loop) {
        this.config = Objects.requireNonNull(config, "config");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.tasks = new LoopTasks(Objects.requireNonNull(loop, "loop"), this::flush);
        long cid = config.guestCid();
        for (int i = 0; i < CONFIG_BYTES; i++) {
            configSpace[i] = (byte) (cid >>> (8 * i));
        }
    }

    public VsockDeviceConfig config() {
        return config;
    }

    public VsockMetrics metrics() {
        return metrics;
    }

    @Override
    public int deviceType() {
        return DeviceType.VSOCK;
    }

    @Override
    public long deviceFeatures() {
        return VirtioFeatures.bit(F_STREAM);
    }

    @Override
    public int[] queueMaxSizes() {
        return new int[] {config.queueSize(), config.queueSize(), config.queueSize()};
    }

    @Override
    public void readConfig(int offset, byte[] data) {
        // GUEST-CONTROLLED: offset and width; bytes past guest_cid read as zero.
        for (int i = 0; i < data.length; i++) {
            long at = (long) offset + i;
            data[i] = at >= 0 && at < CONFIG_BYTES ? configSpace[(int) at] : 0;
        }
    }

    @Override
    public void writeConfig(int offset, byte[] data) {
        // guest_cid is read-only (§5.10.4).
    }

    @Override
    public void activate(DeviceActivation activation) throws ActivationException {
        activation.requireQueue(RX_QUEUE);
        activation.requireQueue(TX_QUEUE);
        activation.requireQueue(EVENT_QUEUE);
        active = new VsockActivation(config, backend, activation, tasks, metrics);
        state = new DeviceState.Active(activation);
    }

    @Override
    public void reset() {
        VsockActivation old = active;
        active = null;
        state = DeviceState.INACTIVE;
        if (old != null) {
            ending = old;
            tasks.submit(() -> {
                old.end("the guest's driver reset the vsock device");
                if (ending == old) {
                    ending = null;
                }
            });
        }
    }

    @Override
    public DeviceState state() {
        return state;
    }

    @Override
    public void processQueue(int index) {
        VsockActivation m = active;
        if (m != null) {
            m.processQueue(index);
        }
    }

    private void flush() {
        VsockActivation m = active;
        if (m != null) {
            m.flush();
        }
    }

    /** Streams open now (connecting ones included), or 0 while inactive. For diagnostics; any thread, racy. */
    public int openStreams() {
        VsockActivation m = active;
        return m == null ? 0 : m.openStreams();
    }

    /**
     * The device's state for diagnostics (a hung exec, a stalled stream): counters, and, from the device loop,
     * every stream's state and credit. When the loop has stopped it completes at once with the counters and says so;
     * a caller that waits with a timeout learns that the loop is stuck when it does not complete.
     */
    public CompletableFuture<String> describe() {
        VsockMetrics m = metrics;
        String counters = ("vsock counters: tx %d, rx %d packets; %d bytes to the guest, %d from it; %d resets sent,"
                + " %d malformed, %d misaddressed, %d refused by the backend, %d by the limit, %d credit overruns,"
                + " %d protocol violations, %d unusable RX buffers").formatted(m.txPackets(), m.rxPackets(),
                m.bytesToGuest(), m.bytesFromGuest(), m.resetsSent(), m.malformedPackets(), m.misaddressedPackets(),
                m.refusedByBackend(), m.refusedByLimit(), m.creditOverruns(), m.protocolViolations(),
                m.unusableRxBuffers());
        CompletableFuture<String> out = new CompletableFuture<>();
        boolean queued = tasks.submit(() -> {
            VsockActivation a = active;
            out.complete(counters + "\n" + (a == null ? "vsock: not active" : a.describe()));
        });
        if (!queued) {
            out.complete(counters + "\nvsock: the device loop has stopped");
        }
        return out;
    }

    @Override
    public CompletableFuture<VsockStream> connect(int guestPort, VsockPeer peer) {
        Objects.requireNonNull(peer, "peer");
        CompletableFuture<VsockStream> future = new CompletableFuture<>();
        String port = Integer.toUnsignedString(guestPort);
        boolean queued = tasks.submit(() -> {
            VsockActivation m = active;
            if (m == null) {
                future.completeExceptionally(new VsockConnectException(
                        "vsock connect to guest port %s: the guest's vsock driver is not active (not booted yet, or reset)"
                                .formatted(port)));
            } else {
                m.connect(guestPort, peer, future);
            }
        });
        if (!queued) {
            future.completeExceptionally(new VsockConnectException(
                    "vsock connect to guest port %s: the VM has stopped".formatted(port)));
        }
        return future;
    }

    /**
     * Sends VIRTIO_VSOCK_EVENT_TRANSPORT_RESET on the event queue, ending every stream (for a VM restored from
     * a snapshot: no stream survives it). Any thread; done on the loop.
     */
    public void transportReset() {
        tasks.submit(() -> {
            VsockActivation m = active;
            if (m != null) {
                m.transportReset();
            }
        });
    }

    /**
     * The VM has ended and its device loop has stopped: every stream's peer hears {@code onClosed}, pending
     * connects fail, and nothing more is queued. Call only after the loop's thread ended.
     */
    @Override
    public void close() {
        tasks.close();
        VsockActivation m = active;
        active = null;
        state = DeviceState.INACTIVE;
        VsockActivation previous = ending;
        ending = null;
        if (previous != null) {
            previous.end("the VM ended");
        }
        if (m != null) {
            m.end("the VM ended");
        }
    }
}
