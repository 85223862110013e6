package dev.paddock.testkit;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.testkit.VirtqueueDriver.Segment;
import dev.paddock.testkit.VirtqueueDriver.UsedElement;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The guest's side of a virtio-vsock device (virtio 1.2 §5.10) as Linux's virtio_transport drives it: three
 * queues (RX 0, TX 1, EVENT 2), RX buffers posted ahead, packets with the 44-byte {@code struct virtio_vsock_hdr}
 * written into TX buffers (optionally split across descriptors anywhere, as a hostile or older guest would),
 * and RX buffers decoded back into packets. Its own header codec, independent of the device's, so a device
 * test checks the wire format rather than one codec against itself. No credit logic: tests choose the values.
 *
 * <p>Memory layout from {@code base}: the three rings (64 KiB apart), RX buffers (one per RX descriptor, at
 * {@code base + 0x30000 + i * rxBufferSize}), event buffers, then a TX arena used round-robin (a device must
 * have taken a TX packet before the arena wraps, which it does when {@link #send} notifies it at once).
 */
public final class VsockDriver {
    public static final int HEADER_BYTES = 44;
    public static final long HOST_CID = 2;
    public static final int TYPE_STREAM = 1;
    public static final int TYPE_SEQPACKET = 2;
    public static final int OP_REQUEST = 1;
    public static final int OP_RESPONSE = 2;
    public static final int OP_RST = 3;
    public static final int OP_SHUTDOWN = 4;
    public static final int OP_RW = 5;
    public static final int OP_CREDIT_UPDATE = 6;
    public static final int OP_CREDIT_REQUEST = 7;
    public static final int SHUTDOWN_RCV = 1;
    public static final int SHUTDOWN_SEND = 2;
    public static final int RX = 0;
    public static final int TX = 1;
    public static final int EVENT = 2;

    /** Bytes of guest memory the driver uses from {@code base} for {@code queueSize} and {@code rxBufferSize}. */
    public static long footprint(int queueSize, int rxBufferSize) {
        return 0x30000 + (long) queueSize * rxBufferSize + 4L * queueSize + TX_ARENA;
    }

    private static final long TX_ARENA = 4L << 20;

    /**
     * One packet. {@code len} is what the header says; normally {@code payload.length}, anything for hostile
     * tests.
     */
    public record Packet(long srcCid, long dstCid, int srcPort, int dstPort, int len, int type, int op, int flags,
                         int bufAlloc, int fwdCnt, byte[] payload) {

        /** A guest → host packet on a stream socket, len = payload length. */
        public static Packet fromGuest(long guestCid, int guestPort, int hostPort, int op, int flags, int bufAlloc,
                                       int fwdCnt, byte[] payload) {
            return new Packet(guestCid, HOST_CID, guestPort, hostPort, payload.length, TYPE_STREAM, op, flags,
                    bufAlloc, fwdCnt, payload);
        }

        public byte[] encode() {
            ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + payload.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(srcCid).putLong(dstCid).putInt(srcPort).putInt(dstPort).putInt(len).putShort((short) type)
                    .putShort((short) op).putInt(flags).putInt(bufAlloc).putInt(fwdCnt).put(payload);
            return b.array();
        }

        public static Packet decode(byte[] bytes, int length) {
            ByteBuffer b = ByteBuffer.wrap(bytes, 0, length).order(ByteOrder.LITTLE_ENDIAN);
            long src = b.getLong();
            long dst = b.getLong();
            int srcPort = b.getInt();
            int dstPort = b.getInt();
            int len = b.getInt();
            int type = b.getShort() & 0xFFFF;
            int op = b.getShort() & 0xFFFF;
            int flags = b.getInt();
            int bufAlloc = b.getInt();
            int fwdCnt = b.getInt();
            if (len < 0 || len > length - HEADER_BYTES) {
                throw new IllegalStateException("RX packet says len %d but the device used %d bytes (header %d)"
                        .formatted(len, length, HEADER_BYTES));
            }
            byte[] payload = Arrays.copyOfRange(bytes, HEADER_BYTES, HEADER_BYTES + len);
            return new Packet(src, dst, srcPort, dstPort, len, type, op, flags, bufAlloc, fwdCnt, payload);
        }

        @Override
        public String toString() {
            return "Packet[op %d %d:%d -> %d:%d len %d type %d flags %d buf_alloc %d fwd_cnt %d]"
                    .formatted(op, srcCid, srcPort, dstCid, dstPort, len, type, flags, bufAlloc, fwdCnt);
        }
    }

    private final GuestMemory memory;
    private final VirtioMmioDriver mmio;
    private final VirtqueueDriver rx;
    private final VirtqueueDriver tx;
    private final VirtqueueDriver events;
    private final long rxBuffers;
    private final long eventBuffers;
    private final long txArena;
    private final int rxBufferSize;
    private long txNext;
    private boolean autoRefill = true;
    private long emptyRxBuffers;

    public VsockDriver(GuestMemory memory, VirtioMmioDriver mmio, long base, int queueSize, int rxBufferSize) {
        this.memory = memory;
        this.mmio = mmio;
        this.rxBufferSize = rxBufferSize;
        this.rx = new VirtqueueDriver(memory, base, queueSize);
        this.tx = new VirtqueueDriver(memory, base + 0x10000, queueSize);
        this.events = new VirtqueueDriver(memory, base + 0x20000, queueSize);
        if (VirtqueueDriver.footprint(queueSize) > 0x10000) {
            throw new IllegalArgumentException("queue size " + queueSize + " does not fit 64 KiB per ring");
        }
        this.rxBuffers = base + 0x30000;
        this.eventBuffers = rxBuffers + (long) queueSize * rxBufferSize;
        this.txArena = eventBuffers + 4L * queueSize;
    }

    public VirtqueueDriver rxQueue() {
        return rx;
    }

    public VirtqueueDriver txQueue() {
        return tx;
    }

    public VirtqueueDriver eventQueue() {
        return events;
    }

    public VirtioMmioDriver mmio() {
        return mmio;
    }

    /** Whether {@link #receive} posts a fresh RX buffer for each one it took (Linux does). Default true. */
    public void autoRefill(boolean on) {
        autoRefill = on;
    }

    /** RX buffers the device returned with nothing in them. */
    public long emptyRxBuffers() {
        return emptyRxBuffers;
    }

    /** The probe: features (all offered), the three queues, DRIVER_OK. Returns the accepted features or -1. */
    public long initialize() {
        return mmio.initialize(~0L, rx, tx, events);
    }

    /** guest_cid from config space. */
    public long guestCid() {
        byte[] low = mmio.readConfig(0, 4);
        byte[] high = mmio.readConfig(4, 4);
        return (ByteBuffer.wrap(low).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xFFFF_FFFFL)
                | (long) ByteBuffer.wrap(high).order(ByteOrder.LITTLE_ENDIAN).getInt() << 32;
    }

    /** Posts {@code count} RX buffers of the full size, each one descriptor, and kicks RX. */
    public void fillRx(int count) {
        for (int i = 0; i < count; i++) {
            postRx(rxBufferSize);
        }
        mmio.notifyQueue(RX);
    }

    /** Posts one RX buffer of {@code length} bytes (at most the configured size) without kicking. */
    public int postRx(int length) {
        int head = nextHead(rx);
        return rx.addChain(Segment.writable(rxBuffers + (long) head * rxBufferSize, length));
    }

    /** Posts one RX buffer split into descriptors of the given lengths (summing to at most the size). */
    public int postRxSplit(int... lengths) {
        int head = nextHead(rx);
        long at = rxBuffers + (long) head * rxBufferSize;
        Segment[] segments = new Segment[lengths.length];
        for (int i = 0; i < lengths.length; i++) {
            segments[i] = Segment.writable(at, lengths[i]);
            at += lengths[i];
        }
        return rx.addChain(segments);
    }

    public void kickRx() {
        mmio.notifyQueue(RX);
    }

    /** Posts {@code count} event buffers (4 bytes each) and kicks the event queue. */
    public void fillEvents(int count) {
        for (int i = 0; i < count; i++) {
            int head = nextHead(events);
            events.addChain(Segment.writable(eventBuffers + 4L * head, 4));
        }
        mmio.notifyQueue(EVENT);
    }

    /** Event ids the device returned since the last call. */
    public List<Integer> takeEvents() {
        List<Integer> ids = new ArrayList<>();
        for (UsedElement u : events.takeUsed()) {
            if (u.length() >= 4) {
                ids.add(memory.readInt(eventBuffers + 4L * u.id()));
            }
        }
        return ids;
    }

    /** Sends {@code packet} in one readable descriptor and kicks TX. */
    public void send(Packet packet) {
        sendRaw(packet.encode());
    }

    /**
     * Sends {@code bytes} as one TX chain cut at {@code cuts} (offsets into the bytes, increasing), so header and
     * payload can span descriptors anywhere; kicks TX.
     */
    public void sendRaw(byte[] bytes, int... cuts) {
        postTx(bytes, cuts);
        mmio.notifyQueue(TX);
    }

    /** Like {@link #sendRaw} without the kick. */
    public int postTx(byte[] bytes, int... cuts) {
        List<Segment> segments = new ArrayList<>();
        int from = 0;
        for (int i = 0; i <= cuts.length; i++) {
            int to = i < cuts.length ? cuts[i] : bytes.length;
            if (to > from) {
                long at = txAlloc(to - from);
                memory.write(at, bytes, from, to - from);
                segments.add(Segment.readable(at, to - from));
            }
            from = Math.max(from, to);
        }
        if (segments.isEmpty()) {
            segments.add(Segment.readable(txAlloc(1), 0));
        }
        return tx.addChain(segments.toArray(Segment[]::new));
    }

    public void kickTx() {
        mmio.notifyQueue(TX);
    }

    /** TX chains the device returned since the last call. */
    public List<UsedElement> takeTxUsed() {
        return tx.takeUsed();
    }

    /**
     * The packets the device wrote into RX buffers since the last call, in order; with auto-refill on, posts a
     * fresh buffer for each used one and kicks RX.
     */
    public List<Packet> receive() {
        List<Packet> packets = new ArrayList<>();
        List<UsedElement> used = rx.takeUsed();
        for (UsedElement u : used) {
            if (u.length() == 0) {
                emptyRxBuffers++;
                continue;
            }
            byte[] bytes = new byte[u.length()];
            memory.read(rxBuffers + (long) u.id() * rxBufferSize, bytes, 0, u.length());
            packets.add(Packet.decode(bytes, u.length()));
        }
        if (autoRefill && !used.isEmpty()) {
            for (int i = 0; i < used.size(); i++) {
                postRx(rxBufferSize);
            }
            mmio.notifyQueue(RX);
        }
        return packets;
    }

    private long txAlloc(int length) {
        if (length > TX_ARENA) {
            throw new IllegalArgumentException("a TX buffer of " + length + " bytes is larger than the arena");
        }
        if (txNext + length > TX_ARENA) {
            txNext = 0;
        }
        long at = txArena + txNext;
        txNext += (length + 15) & ~15L;
        return at;
    }

    /** The head the queue driver will give the next one-descriptor chain (it takes descriptors round-robin). */
    private static int nextHead(VirtqueueDriver queue) {
        return queue.peekNextFreeDescriptor();
    }
}
