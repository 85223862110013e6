package dev.paddock.runtime.virtio.vsock;

import static dev.paddock.runtime.virtio.vsock.VsockConstants.*;

import dev.paddock.runtime.virtio.queue.BufferCursor;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One stream's state machine and credit accounting (virtio 1.2 §5.10.6.3 and §5.10.6.4).
 *
 * <pre>
 *   host connect ──► CONNECTING ──RESPONSE──► ESTABLISHED ──► CLOSED
 *   guest REQUEST (backend accepts) ────────► ESTABLISHED (RESPONSE due)
 * </pre>
 * ESTABLISHED carries four half-close bits: the guest's SHUTDOWN flags (it will send no more / receive no more)
 * and the host's (asked by {@link #shutdownOutput}, sent once queued bytes have gone). The stream ends
 * (RST to the guest, {@link VsockPeer#onClosed}) when the guest has shut down both halves, or when both sides
 * have shut down sending; at once on a RST either way, on a protocol violation or a credit overrun.
 *
 * <p>Credit, guest → host: the device advertises {@code buf_alloc} and {@code fwd_cnt}, the bytes the host
 * {@linkplain #consumed consumed}; the guest may have at most {@code buf_alloc} bytes unconsumed. Host → guest:
 * never more than {@code peer_buf_alloc - (tx_cnt - peer_fwd_cnt)} in flight; all counters are free-running
 * unsigned 32-bit values, as on the wire.
 *
 * <p>Threading: the {@link VsockStream} methods run on any thread and hand their work to the device loop; every
 * other method runs on the loop.
 */
final class VsockConnection implements VsockStream {
    private static final System.Logger LOG = System.getLogger(VsockConnection.class.getName());

    enum State { CONNECTING, ESTABLISHED, CLOSED }

    private final VsockActivation activation;
    private final VsockDeviceConfig config;
    private final int hostPort;
    private final int guestPort;

    // Any thread.
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicBoolean writeBlocked = new AtomicBoolean();
    private volatile boolean outputShutRequested;
    private volatile boolean closed;

    // Device loop only.
    private State state;
    private VsockPeer peer;
    private CompletableFuture<VsockStream> connecting;
    private boolean requestDue;
    private boolean responseDue;
    private boolean creditUpdateDue;
    private boolean shutdownOutputDue;
    private boolean shutdownSent;
    private boolean guestShutSend;
    private boolean guestShutRecv;
    private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
    private long pendingBytes;
    /** Guest → host: bytes received, bytes the host consumed, and the fwd_cnt the guest last heard. */
    private int rxCnt;
    private int fwdCnt;
    private int lastSentFwdCnt;
    /** Host → guest: bytes sent, and the guest's buf_alloc and fwd_cnt from its latest packet. */
    private int txCnt;
    private int peerBufAlloc;
    private int peerFwdCnt;
    boolean inReadyQueue;

    private VsockConnection(VsockActivation activation, int hostPort, int guestPort, State state) {
        this.activation = activation;
        this.config = activation.config();
        this.hostPort = hostPort;
        this.guestPort = guestPort;
        this.state = state;
    }

    /** A host-initiated stream: REQUEST due, {@code future} completes on RESPONSE. */
    static VsockConnection hostInitiated(VsockActivation activation, int hostPort, int guestPort, VsockPeer peer,
                                         CompletableFuture<VsockStream> future) {
        VsockConnection c = new VsockConnection(activation, hostPort, guestPort, State.CONNECTING);
        c.peer = peer;
        c.connecting = future;
        c.requestDue = true;
        return c;
    }

    /** A guest-initiated stream, before the backend decided: its REQUEST gave the guest's credit. */
    static VsockConnection guestInitiated(VsockActivation activation, VsockHeader request) {
        VsockConnection c = new VsockConnection(activation, request.dstPort(), request.srcPort(), State.ESTABLISHED);
        c.updatePeerCredit(request);
        return c;
    }

    // ---- VsockStream: any thread ----

    @Override
    public long guestCid() {
        return config.guestCid();
    }

    @Override
    public int guestPort() {
        return guestPort;
    }

    @Override
    public int hostPort() {
        return hostPort;
    }

    @Override
    public boolean write(ByteBuffer bytes) {
        Objects.requireNonNull(bytes, "bytes");
        if (outputShutRequested) {
            throw new IllegalStateException("vsock stream %s: write after shutdownOutput()".formatted(this));
        }
        if (closed) {
            throw new IllegalStateException("vsock stream %s is closed; it takes no more writes".formatted(this));
        }
        int n = bytes.remaining();
        long queued = n == 0 ? queuedBytes.get() : queuedBytes.addAndGet(n);
        boolean belowHighWater = queued < config.sendHighWater();
        if (!belowHighWater) {
            // Set before the task is queued, so the loop's low-water check after draining sees it.
            writeBlocked.set(true);
        }
        if (n > 0) {
            activation.tasks().submit(() -> hostWrite(bytes, n));
        }
        return belowHighWater;
    }

    @Override
    public void consumed(int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("vsock stream %s: consumed(%d) must not be negative".formatted(this, bytes));
        }
        if (bytes > 0) {
            activation.tasks().submit(() -> hostConsumed(bytes));
        }
    }

    @Override
    public void shutdownOutput() {
        if (!outputShutRequested) {
            outputShutRequested = true;
            activation.tasks().submit(this::hostShutdownOutput);
        }
    }

    @Override
    public void reset() {
        activation.tasks().submit(() -> close("reset by the host", true));
    }

    // ---- host work, on the loop ----

    private void hostWrite(ByteBuffer bytes, int n) {
        if (state == State.CLOSED || guestShutRecv) {
            // The guest will read no more (or the stream is gone): the bytes have nowhere to go.
            releaseQueued(n);
            return;
        }
        pending.add(bytes);
        pendingBytes += n;
        activation.markReady(this);
    }

    private void hostConsumed(int bytes) {
        if (state != State.ESTABLISHED) {
            return;
        }
        int unconsumed = rxCnt - fwdCnt;
        // A host that reports more than it was given is wrong; never advance fwd_cnt past what the guest sent.
        int n = Integer.compareUnsigned(bytes, unconsumed) > 0 ? unconsumed : bytes;
        if (n != bytes) {
            LOG.log(Level.WARNING, "vsock stream {0}: the host consumed {1} bytes but only {2} were unconsumed",
                    this, bytes, Integer.toUnsignedString(unconsumed));
        }
        fwdCnt += n;
        // The guest is near stalled when the free space it knows of (from the last fwd_cnt it heard) is under
        // half of buf_alloc: tell it what was freed since.
        long guestKnownFree = config.bufAlloc() - Integer.toUnsignedLong(rxCnt - lastSentFwdCnt);
        if (fwdCnt != lastSentFwdCnt && guestKnownFree < config.bufAlloc() / 2 + 1) {
            creditUpdateDue = true;
            activation.markReady(this);
        }
    }

    private void hostShutdownOutput() {
        if (state == State.CLOSED || shutdownSent) {
            return;
        }
        shutdownOutputDue = true;
        activation.markReady(this);
    }

    // ---- guest packets, on the loop ----

    /** The backend took the guest's stream: answer with RESPONSE. */
    void accept(VsockPeer peer) {
        this.peer = peer;
        responseDue = true;
        activation.markReady(this);
    }

    /**
     * A packet from the guest for this stream (never a RST: the activation handles those). {@code payload} is
     * positioned at the payload, whose length the activation checked against the chain and the 64 KiB maximum.
     */
    void onGuestPacket(VsockHeader h, BufferCursor payload) {
        updatePeerCredit(h);
        if (pendingBytes > 0) {
            activation.markReady(this); // any packet may carry new credit
        }
        if (state == State.CONNECTING) {
            if (h.op() == OP_RESPONSE) {
                state = State.ESTABLISHED;
                CompletableFuture<VsockStream> f = connecting;
                connecting = null;
                f.complete(this);
                activation.markReady(this); // data the host wrote from the future's callback
            } else {
                violation("%s while connecting".formatted(opName(h.op())));
            }
            return;
        }
        switch (h.op()) {
            case OP_RW -> guestData(h, payload);
            case OP_SHUTDOWN -> guestShutdown(h.flags());
            case OP_CREDIT_UPDATE -> activation.markReady(this);
            case OP_CREDIT_REQUEST -> {
                creditUpdateDue = true;
                activation.markReady(this);
            }
            // GUEST-CONTROLLED: REQUEST and RESPONSE on an established stream, INVALID and unknown ops are
            // protocol violations: the stream is reset.
            default -> violation("%s on an established stream".formatted(opName(h.op())));
        }
    }

    private void guestData(VsockHeader h, BufferCursor payload) {
        int len = h.len();
        if (len == 0) {
            return;
        }
        if (guestShutSend) {
            violation("RW after the guest shut down sending");
            return;
        }
        // GUEST-CONTROLLED: the guest may have at most buf_alloc bytes that the host has not consumed; more is a
        // credit overrun and resets the stream (so a guest cannot make the host buffer without bound).
        long unconsumed = Integer.toUnsignedLong(rxCnt - fwdCnt);
        if (unconsumed + len > config.bufAlloc()) {
            activation.metrics().creditOverruns.incrementAndGet();
            close("the guest overran its credit: %d bytes unconsumed + %d sent > buf_alloc %d"
                    .formatted(unconsumed, len, config.bufAlloc()), true);
            return;
        }
        // GUEST-CONTROLLED: len <= MAX_PACKET_PAYLOAD, the buffer's size, and <= the chain's readable bytes: both
        // checked by VsockActivation.handleTx before any RW reaches a stream.
        byte[] buffer = activation.txPayload();
        payload.read(buffer, 0, len);
        rxCnt += len;
        activation.metrics().bytesFromGuest.addAndGet(len);
        // No allocation per packet: the peer gets a read-only view of the reused buffer, valid during the call.
        callPeer("onData", p -> p.onData(ByteBuffer.wrap(buffer, 0, len).asReadOnlyBuffer()));
    }

    private void guestShutdown(int flags) {
        if ((flags & SHUTDOWN_SEND) != 0 && !guestShutSend) {
            guestShutSend = true;
            callPeer("onGuestShutdownSend", VsockPeer::onGuestShutdownSend);
        }
        if ((flags & SHUTDOWN_RCV) != 0 && !guestShutRecv) {
            guestShutRecv = true;
            dropPending();
        }
        if (state != State.CLOSED) {
            closeIfDone();
        }
    }

    private void closeIfDone() {
        if (guestShutSend && guestShutRecv) {
            close("the guest shut down both directions", true);
        } else if (guestShutSend && shutdownSent) {
            close("both sides shut down sending", true);
        }
    }

    private void violation(String what) {
        activation.metrics().protocolViolations.incrementAndGet();
        close("protocol violation by the guest: " + what, true);
    }

    void updatePeerCredit(VsockHeader h) {
        // GUEST-CONTROLLED: any values; a lying guest only changes how fast it receives, never how much the host
        // buffers (that is bounded by the send high-water mark).
        peerBufAlloc = h.bufAlloc();
        peerFwdCnt = h.fwdCnt();
    }

    // ---- packets to the guest, on the loop ----

    /** Bytes the guest has room for now: peer_buf_alloc - (tx_cnt - peer_fwd_cnt), never negative. */
    long peerCredit() {
        long inFlight = Integer.toUnsignedLong(txCnt - peerFwdCnt);
        long alloc = Integer.toUnsignedLong(peerBufAlloc);
        return inFlight >= alloc ? 0 : alloc - inFlight;
    }

    private boolean dataSendable() {
        return pendingBytes > 0 && !guestShutRecv && peerCredit() > 0;
    }

    private boolean shutdownSendable() {
        return shutdownOutputDue && !shutdownSent && (pendingBytes == 0 || guestShutRecv);
    }

    /** Whether a packet can go to the guest now. */
    boolean hasPacket() {
        return switch (state) {
            case CONNECTING -> requestDue;
            case ESTABLISHED -> responseDue || dataSendable() || shutdownSendable() || creditUpdateDue;
            case CLOSED -> false;
        };
    }

    /**
     * Writes the next packet into an RX chain ({@code out}, with room for the header and {@code maxPayload}
     * bytes) and returns the bytes written, or 0 when nothing fitted.
     */
    int writeNextPacket(BufferCursor out, int maxPayload, byte[] header) {
        if (state == State.CONNECTING) {
            if (!requestDue) {
                return 0;
            }
            requestDue = false;
            return emit(out, header, OP_REQUEST, 0, 0);
        }
        if (state != State.ESTABLISHED) {
            return 0;
        }
        if (responseDue) {
            responseDue = false;
            return emit(out, header, OP_RESPONSE, 0, 0);
        }
        if (dataSendable() && maxPayload > 0) {
            int n = (int) Math.min(Math.min(pendingBytes, peerCredit()), maxPayload);
            int written = emit(out, header, OP_RW, 0, n);
            copyPending(out, n);
            txCnt += n;
            activation.metrics().bytesToGuest.addAndGet(n);
            releaseQueued(n);
            return written + n;
        }
        if (shutdownSendable()) {
            shutdownSent = true;
            int written = emit(out, header, OP_SHUTDOWN, SHUTDOWN_SEND, 0);
            closeIfDone();
            return written;
        }
        if (creditUpdateDue) {
            return emit(out, header, OP_CREDIT_UPDATE, 0, 0);
        }
        return 0;
    }

    private int emit(BufferCursor out, byte[] header, int op, int flags, int len) {
        new VsockHeader(HOST_CID, config.guestCid(), hostPort, guestPort, len, TYPE_STREAM, op, flags,
                config.bufAlloc(), fwdCnt).encode(header);
        out.write(header, 0, HEADER_BYTES);
        // Every packet tells the guest our fwd_cnt.
        lastSentFwdCnt = fwdCnt;
        creditUpdateDue = false;
        return HEADER_BYTES;
    }

    private void copyPending(BufferCursor out, int n) {
        int left = n;
        while (left > 0) {
            ByteBuffer b = pending.peek();
            int step = Math.min(left, b.remaining());
            if (b.hasArray()) {
                out.write(b.array(), b.arrayOffset() + b.position(), step);
                b.position(b.position() + step);
            } else {
                byte[] copy = new byte[step];
                b.get(copy);
                out.write(copy, 0, step);
            }
            if (!b.hasRemaining()) {
                pending.poll();
            }
            left -= step;
        }
        pendingBytes -= n;
    }

    private void dropPending() {
        long n = pendingBytes;
        pending.clear();
        pendingBytes = 0;
        releaseQueued(n);
    }

    private void releaseQueued(long n) {
        long queued = queuedBytes.addAndGet(-n);
        if (queued <= config.sendLowWater() && writeBlocked.compareAndSet(true, false) && state == State.ESTABLISHED) {
            callPeer("onWritable", VsockPeer::onWritable);
        }
    }

    // ---- the end ----

    /**
     * Ends the stream: removes it from the table, optionally sends the guest a RST, fails a pending connect or
     * tells the peer. Idempotent.
     */
    void close(String reason, boolean sendReset) {
        if (state == State.CLOSED) {
            return;
        }
        State was = state;
        state = State.CLOSED;
        closed = true;
        activation.removed(this);
        pending.clear();
        pendingBytes = 0;
        if (sendReset) {
            activation.queueReset(new VsockHeader(HOST_CID, config.guestCid(), hostPort, guestPort, 0, TYPE_STREAM,
                    OP_RST, 0, 0, 0));
        }
        if (was == State.CONNECTING) {
            CompletableFuture<VsockStream> f = connecting;
            connecting = null;
            f.completeExceptionally(new VsockConnectException(
                    "vsock connect to guest port %s failed: %s".formatted(Integer.toUnsignedString(guestPort), reason)));
        } else if (peer != null) {
            VsockPeer p = peer;
            try {
                p.onClosed(reason);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "vsock stream " + this + ": the peer's onClosed failed", e);
            }
        }
    }

    boolean isConnecting() {
        return state == State.CONNECTING;
    }

    State state() {
        return state;
    }

    /** A peer callback; a peer that throws loses its stream (RST), never the device. */
    private void callPeer(String what, Consumer<VsockPeer> call) {
        if (peer == null || state == State.CLOSED) {
            return;
        }
        try {
            call.accept(peer);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "vsock stream " + this + ": the peer's " + what + " failed; resetting the stream", e);
            close("the host peer failed in " + what + ": " + e, true);
        }
    }

    /** One line of this stream's state and credit counters, for diagnostics. On the loop. */
    String describe() {
        StringBuilder sb = new StringBuilder(toString()).append(": ").append(state);
        sb.append(", to guest: %d pending (%d queued by the host%s), tx_cnt %d, guest buf_alloc %d fwd_cnt %d, credit %d"
                .formatted(pendingBytes, queuedBytes.get(), writeBlocked.get() ? ", writer blocked" : "",
                        Integer.toUnsignedLong(txCnt), Integer.toUnsignedLong(peerBufAlloc),
                        Integer.toUnsignedLong(peerFwdCnt), peerCredit()));
        sb.append("; from guest: rx_cnt %d, fwd_cnt %d (guest last heard %d)".formatted(Integer.toUnsignedLong(rxCnt),
                Integer.toUnsignedLong(fwdCnt), Integer.toUnsignedLong(lastSentFwdCnt)));
        sb.append(requestDue ? ", REQUEST due" : "").append(responseDue ? ", RESPONSE due" : "")
                .append(creditUpdateDue ? ", CREDIT_UPDATE due" : "").append(shutdownOutputDue ? ", host shut output" : "")
                .append(shutdownSent ? ", SHUTDOWN sent" : "").append(guestShutSend ? ", guest shut send" : "")
                .append(guestShutRecv ? ", guest shut receive" : "").append(inReadyQueue ? ", ready" : "")
                .append(hasPacket() ? ", has a packet" : "");
        return sb.toString();
    }

    @Override
    public String toString() {
        return "host port %s <-> guest %d port %s".formatted(Integer.toUnsignedString(hostPort), config.guestCid(),
                Integer.toUnsignedString(guestPort));
    }
}
