package dev.paddock.runtime.virtio.vsock;

import static dev.paddock.runtime.virtio.vsock.VsockConstants.*;

import dev.paddock.hypervisor.memory.GuestMemoryException;
import dev.paddock.runtime.virtio.DeviceActivation;
import dev.paddock.runtime.virtio.queue.BrokenQueueException;
import dev.paddock.runtime.virtio.queue.BufferCursor;
import dev.paddock.runtime.virtio.queue.DescriptorChain;
import dev.paddock.runtime.virtio.queue.VirtQueue;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One activation of a vsock device: the connection table, what waits to go to the guest, and the work on the
 * three queues. Created at DRIVER_OK, ended at driver reset (or transport reset, or when the VM ends).
 *
 * <p>Device event loop only, except {@link #tasks()}.
 */
final class VsockActivation {
    private static final System.Logger LOG = System.getLogger(VsockActivation.class.getName());

    /**
     * RST replies waiting for RX buffers. GUEST-CONTROLLED: a guest that floods REQUESTs to closed ports (or
     * garbage) without giving RX buffers would otherwise grow this without bound; past it replies are dropped
     * (the guest's connect then times out instead of failing at once).
     */
    static final int MAX_PENDING_RESETS = 1024;

    private final VsockDeviceConfig config;
    private final VsockBackend backend;
    private final DeviceActivation activation;
    private final LoopTasks tasks;
    private final VsockMetrics metrics;
    private final VirtQueue rx;
    private final VirtQueue tx;
    private final VirtQueue events;
    private final VsockConnectionTable table;
    private final ArrayDeque<VsockConnection> ready = new ArrayDeque<>();
    private final ArrayDeque<VsockHeader> resets = new ArrayDeque<>();
    private final byte[] header = new byte[HEADER_BYTES];
    /**
     * Where each TX payload is gathered from the guest's buffers for its peer: one per activation, reused for every
     * packet (the loop handles one packet at a time, and {@link VsockPeer#onData} must copy what it keeps before it
     * returns). Never a view of guest RAM itself: a peer that kept one past the call would read memory the guest
     * has reused, or that was unmapped when the VM ended.
     */
    private final byte[] txPayload = new byte[MAX_PACKET_PAYLOAD];
    private boolean rxDirty;
    private boolean eventDue;
    private boolean ended;

    VsockActivation(VsockDeviceConfig config, VsockBackend backend, DeviceActivation activation, LoopTasks tasks,
               VsockMetrics metrics) {
        this.config = config;
        this.backend = backend;
        this.activation = activation;
        this.tasks = tasks;
        this.metrics = metrics;
        this.rx = activation.queue(RX_QUEUE).orElseThrow();
        this.tx = activation.queue(TX_QUEUE).orElseThrow();
        this.events = activation.queue(EVENT_QUEUE).orElseThrow();
        this.table = new VsockConnectionTable(config.maxStreams());
    }

    VsockDeviceConfig config() {
        return config;
    }

    LoopTasks tasks() {
        return tasks;
    }

    /** The TX payload buffer (see the field); valid for one packet, on the loop. */
    byte[] txPayload() {
        return txPayload;
    }

    VsockMetrics metrics() {
        return metrics;
    }

    int openStreams() {
        return table.size();
    }

    /** What the activation holds now, for diagnostics: what waits for RX buffers, and every stream. On the loop. */
    String describe() {
        StringBuilder sb = new StringBuilder("vsock activation: %d streams, %d ready, %d resets waiting, rx %s%s"
                .formatted(table.size(), ready.size(), resets.size(), rxDirty ? "dirty" : "clean", ended ? ", ENDED" : ""));
        for (VsockConnection c : table.all()) {
            sb.append("\n  ").append(c.describe());
        }
        return sb.toString();
    }

    // ---- queue notifications ----

    void processQueue(int index) {
        if (ended) {
            return;
        }
        switch (index) {
            case RX_QUEUE -> processRx();
            case TX_QUEUE -> processTx();
            case EVENT_QUEUE -> processEvents();
            default -> { }
        }
    }

    /** After a batch of host tasks: send what they made ready. */
    void flush() {
        if (!ended && rxDirty) {
            processRx();
        }
    }

    private void processTx() {
        // GUEST-CONTROLLED: a guest refilling TX as fast as we drain it must not hold the loop: at most a queue's
        // worth per turn, then the rest in a later task (other devices and host work run in between).
        int budget = tx.size();
        try {
            DescriptorChain chain = null;
            while (budget > 0 && (chain = tx.pop()) != null) {
                budget--;
                metrics.txPackets.incrementAndGet();
                handleTx(chain);
                tx.addUsed(chain.head(), 0);
            }
            if (budget == 0 && chain != null) {
                tasks.submit(this::processTx);
            }
        } catch (BrokenQueueException e) {
            activation.link().enterNeedsReset(e.getMessage());
        } catch (GuestMemoryException e) {
            activation.link().enterNeedsReset("virtio-vsock: guest memory unusable on TX: " + e.getMessage());
        }
        activation.notifyUsed(tx);
        processRx();
    }

    private void handleTx(DescriptorChain chain) {
        BufferCursor in = new BufferCursor(activation.memory(), chain.readable());
        // GUEST-CONTROLLED: a packet starts with a whole 44-byte header (it may span descriptors anywhere).
        if (in.remaining() < HEADER_BYTES) {
            metrics.malformedPackets.incrementAndGet();
            return;
        }
        in.read(header, 0, HEADER_BYTES);
        VsockHeader h = VsockHeader.decode(header);
        // GUEST-CONTROLLED: only guest → host packets, from the guest's own CID; anything else is dropped
        // unanswered (a reply would go to an address the guest does not own).
        if (h.dstCid() != HOST_CID || h.srcCid() != config.guestCid()) {
            metrics.misaddressedPackets.incrementAndGet();
            return;
        }
        VsockConnection c = table.get(h.dstPort(), h.srcPort());
        if (h.op() == OP_RST) {
            // Never answer a RST (two sides that both think the other is gone would ping-pong forever).
            if (c != null) {
                c.close("reset by the guest", false);
            }
            return;
        }
        // GUEST-CONTROLLED: stream sockets only (SEQPACKET is not offered): anything else gets a RST, as Linux's
        // virtio_transport_recv_pkt answers an unknown type.
        if (h.type() != TYPE_STREAM) {
            metrics.malformedPackets.incrementAndGet();
            queueReset(h.resetReply());
            return;
        }
        // GUEST-CONTROLLED: an RW payload lies inside the chain and within the 64 KiB Linux ever sends; a
        // length beyond either breaks the byte stream, so the stream is reset.
        if (h.op() == OP_RW && (h.payloadLength() > in.remaining() || h.payloadLength() > MAX_PACKET_PAYLOAD)) {
            metrics.malformedPackets.incrementAndGet();
            if (c != null) {
                c.close("the guest sent an RW whose len %d exceeds its buffers (%d bytes) or 64 KiB"
                        .formatted(h.payloadLength(), in.remaining()), true);
            } else {
                queueReset(h.resetReply());
            }
            return;
        }
        if (c != null) {
            c.onGuestPacket(h, in);
        } else if (h.op() == OP_REQUEST) {
            guestRequest(h);
        } else {
            // GUEST-CONTROLLED: a packet for a stream that does not exist (never was, or already gone) gets a RST.
            queueReset(h.resetReply());
        }
    }

    private void guestRequest(VsockHeader h) {
        // GUEST-CONTROLLED: at most maxStreams streams per VM; beyond, REQUESTs are refused.
        if (table.full()) {
            metrics.refusedByLimit.incrementAndGet();
            queueReset(h.resetReply());
            return;
        }
        VsockConnection c = VsockConnection.guestInitiated(this, h);
        VsockPeer peer;
        try {
            peer = backend.guestConnect(c);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "virtio-vsock: the backend failed on a guest connect to port "
                    + Integer.toUnsignedString(h.dstPort()) + "; refusing it", e);
            peer = null;
        }
        if (peer == null) {
            metrics.refusedByBackend.incrementAndGet();
            c.close("refused by the host", false);
            queueReset(h.resetReply());
            return;
        }
        table.add(c);
        c.accept(peer);
    }

    // ---- RX: packets to the guest ----

    void markReady(VsockConnection c) {
        rxDirty = true;
        if (!c.inReadyQueue) {
            c.inReadyQueue = true;
            ready.add(c);
        }
    }

    void queueReset(VsockHeader rst) {
        if (resets.size() >= MAX_PENDING_RESETS) {
            metrics.droppedResets.incrementAndGet();
            return;
        }
        metrics.resetsSent.incrementAndGet();
        resets.add(rst);
        rxDirty = true;
    }

    void removed(VsockConnection c) {
        table.remove(c);
    }

    private void processRx() {
        rxDirty = false;
        try {
            while (true) {
                VsockHeader rst = resets.peek();
                VsockConnection c = rst == null ? nextReady() : null;
                if (rst == null && c == null) {
                    break;
                }
                DescriptorChain chain = rx.pop();
                if (chain == null) {
                    break; // the guest's next RX kick brings us back
                }
                // GUEST-CONTROLLED: an RX buffer must hold at least a header (any split); a smaller one is
                // returned unused and the packet waits for the next buffer.
                long room = chain.writableBytes();
                if (room < HEADER_BYTES) {
                    metrics.unusableRxBuffers.incrementAndGet();
                    rx.addUsed(chain.head(), 0);
                    continue;
                }
                BufferCursor out = new BufferCursor(activation.memory(), chain.writable());
                int written;
                if (rst != null) {
                    resets.poll();
                    rst.encode(header);
                    out.write(header, 0, HEADER_BYTES);
                    written = HEADER_BYTES;
                } else {
                    int maxPayload = (int) Math.min(room - HEADER_BYTES, MAX_PACKET_PAYLOAD);
                    written = c.writeNextPacket(out, maxPayload, header);
                    if (written == 0) {
                        metrics.unusableRxBuffers.incrementAndGet();
                    }
                }
                if (written > 0) {
                    metrics.rxPackets.incrementAndGet();
                }
                rx.addUsed(chain.head(), written);
            }
        } catch (BrokenQueueException e) {
            activation.link().enterNeedsReset(e.getMessage());
        } catch (GuestMemoryException e) {
            activation.link().enterNeedsReset("virtio-vsock: guest memory unusable on RX: " + e.getMessage());
        }
        activation.notifyUsed(rx);
    }

    /** The first ready connection that has a packet now; those without one leave the queue. */
    private VsockConnection nextReady() {
        VsockConnection c;
        while ((c = ready.peek()) != null) {
            if (c.hasPacket()) {
                return c;
            }
            ready.poll();
            c.inReadyQueue = false;
        }
        return null;
    }

    // ---- events ----

    private void processEvents() {
        if (!eventDue) {
            return;
        }
        try {
            DescriptorChain chain;
            while (eventDue && (chain = events.pop()) != null) {
                // GUEST-CONTROLLED: an event buffer holds the 4-byte event; a smaller one is returned unused.
                if (chain.writableBytes() < EVENT_BYTES) {
                    events.addUsed(chain.head(), 0);
                    continue;
                }
                byte[] event = {EVENT_TRANSPORT_RESET, 0, 0, 0};
                new BufferCursor(activation.memory(), chain.writable()).write(event, 0, EVENT_BYTES);
                events.addUsed(chain.head(), EVENT_BYTES);
                eventDue = false;
            }
        } catch (BrokenQueueException e) {
            activation.link().enterNeedsReset(e.getMessage());
        } catch (GuestMemoryException e) {
            activation.link().enterNeedsReset("virtio-vsock: guest memory unusable on the event queue: " + e.getMessage());
        }
        activation.notifyUsed(events);
    }

    // ---- host requests ----

    void connect(int guestPort, VsockPeer peer, CompletableFuture<VsockStream> future) {
        if (ended) {
            future.completeExceptionally(new VsockConnectException(
                    "vsock connect to guest port %s: the device was reset".formatted(Integer.toUnsignedString(guestPort))));
            return;
        }
        if (table.full()) {
            metrics.refusedByLimit.incrementAndGet();
            future.completeExceptionally(new VsockConnectException(
                    "vsock connect to guest port %s: the VM already has its maximum of %d streams; close some or raise maxStreams"
                            .formatted(Integer.toUnsignedString(guestPort), config.maxStreams())));
            return;
        }
        int hostPort = table.allocateHostPort(guestPort);
        VsockConnection c = VsockConnection.hostInitiated(this, hostPort, guestPort, peer, future);
        table.add(c);
        markReady(c);
        CompletableFuture.delayedExecutor(config.connectTimeout().toMillis(), TimeUnit.MILLISECONDS,
                        task -> tasks.submit(task))
                .execute(() -> {
                    if (c.isConnecting()) {
                        c.close("no RESPONSE within %d ms (is the guest's vsock driver up?)"
                                .formatted(config.connectTimeout().toMillis()), true);
                    }
                });
    }

    /**
     * VIRTIO_VSOCK_EVENT_TRANSPORT_RESET (§5.10.6.7), e.g. after a restore: every stream ends (the guest
     * resets its sockets when it reads the event, so no RSTs are sent) and the event goes to the guest.
     */
    void transportReset() {
        if (ended) {
            return;
        }
        closeAll("transport reset (the VM was restored)", false);
        eventDue = true;
        processEvents();
    }

    /** The activation is over (driver reset, VM end): every stream ends, nothing more touches the queues. */
    void end(String reason) {
        if (ended) {
            return;
        }
        closeAll(reason, false);
        ended = true;
    }

    private void closeAll(String reason, boolean sendReset) {
        for (VsockConnection c : table.drain()) {
            c.close(reason, sendReset);
        }
        ready.clear();
        resets.clear();
    }
}
