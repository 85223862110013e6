package dev.paddock.runtime.virtio.vsock;

import static dev.paddock.runtime.virtio.vsock.VsockHarness.CID;
import static dev.paddock.testkit.VsockDriver.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.testkit.VirtioMmioDriver;
import dev.paddock.testkit.VsockDriver.Packet;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * The vsock device against a hostile guest. Each try (one seed, reproducible) probes the device afresh, opens two
 * well-behaved streams (one each way), then lets the guest do damage with a random mix of: REQUEST floods to
 * closed ports without reading the RSTs, streams that overrun their credit, headers with random type, op, len,
 * flags and CIDs, len larger than the chain or than 64 KiB, chains too short for a header, headers and payloads
 * cut across descriptors at random offsets, RX buffers too small or split oddly, credit-request floods, and
 * RSTs and SHUTDOWNs for random ports. Afterwards: nothing escaped the transport, the device is not in
 * NEEDS_RESET, the stream count is within its bound, and both well-behaved streams still carry data both ways,
 * byte for byte (their payloads also cut across descriptors at random).
 */
class VsockHostileGuestProperties {
    private static final int LISTEN = 1234;
    private static final int CLOSED = 4242;
    private static final int GOOD_GUEST_PORT = 50_000;
    private static final int AGENT_PORT = 1024;
    private static final int MAX_STREAMS = 16;
    private static final int BUF_ALLOC = 16 * 1024;

    private VsockHarness h;
    private RecordingPeer guestSide;
    private RecordingPeer hostSide;
    private int hostSidePort;
    private final ByteArrayOutputStream toGuestA = new ByteArrayOutputStream();
    private final ByteArrayOutputStream toGuestB = new ByteArrayOutputStream();

    @Property(tries = 3_000)
    void hostileTrafficLeavesTheOtherStreamsWorking(@ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        setUp();
        int actions = 1 + random.nextInt(12);
        for (int i = 0; i < actions; i++) {
            hostileAction(random);
            if (random.nextInt(3) == 0) {
                drain();
            }
        }
        drain();
        assertHealthy();
        goodStreamsCarryOn(random);
    }

    @Property(tries = 2_000)
    void creditOverrunResetsOnlyTheOverrunningStream(@ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        setUp();
        int guestPort = 60_000 + random.nextInt(1000);
        h.send(fromGuest(guestPort, LISTEN, OP_REQUEST, BUF_ALLOC, 0, new byte[0]));
        drain();
        RecordingPeer victim = h.lastAccepted(LISTEN);
        // Within credit first (unconsumed: the host never reads), then past it.
        int within = random.nextInt(BUF_ALLOC + 1);
        sendCut(random, fromGuest(guestPort, LISTEN, OP_RW, BUF_ALLOC, 0, randomBytes(random, within)));
        assertThat(victim.closed).isNull();
        int over = BUF_ALLOC - within + 1 + random.nextInt(MAX_PACKET);
        over = Math.min(over, MAX_PACKET);
        sendCut(random, fromGuest(guestPort, LISTEN, OP_RW, BUF_ALLOC, 0, randomBytes(random, over)));
        assertThat(victim.closed).contains("overran");
        assertThat(victim.bytes()).hasSize(within);
        drain();
        assertHealthy();
        goodStreamsCarryOn(random);
    }

    @Property(tries = 300)
    void requestFloodsToClosedPortsAreBounded(@ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        setUp();
        int flood = 1 + random.nextInt(3 * VsockActivation.MAX_PENDING_RESETS / 2);
        for (int i = 0; i < flood; i++) {
            h.guest.postTx(fromGuest(60_000 + i, CLOSED + random.nextInt(3), OP_REQUEST, BUF_ALLOC, 0, new byte[0]).encode());
            if (i % 32 == 31) {
                h.guest.kickTx(); // the TX ring holds 64: the guest kicks as it goes, never reading RX
            }
        }
        h.guest.kickTx();
        h.loop.runAll();
        long resets = 0;
        List<Packet> got;
        while (!(got = h.receive()).isEmpty()) {
            resets += got.stream().filter(p -> p.op() == OP_RST).count();
        }
        // Every REQUEST got a RST or was counted as dropped: nothing piles up beyond the bound.
        assertThat(resets + h.device.metrics().droppedResets()).isGreaterThanOrEqualTo(flood);
        assertThat(resets).isLessThanOrEqualTo(VsockActivation.MAX_PENDING_RESETS + VsockHarness.QUEUE);
        assertHealthy();
        goodStreamsCarryOn(random);
    }

    /** What the device counted over the property's tries: shows the hostile paths were taken, not just survived. */
    @AfterProperty
    void report() {
        if (h == null) {
            return;
        }
        VsockMetrics m = h.device.metrics();
        System.out.printf("vsock hostile guest: %d TX packets, %d RX packets, %d malformed, %d misaddressed, %d RSTs"
                        + " sent, %d RSTs dropped, %d refused by the backend, %d by the stream limit, %d credit overruns,"
                        + " %d protocol violations, %d unusable RX buffers%n", m.txPackets(), m.rxPackets(),
                m.malformedPackets(), m.misaddressedPackets(), m.resetsSent(), m.droppedResets(), m.refusedByBackend(),
                m.refusedByLimit(), m.creditOverruns(), m.protocolViolations(), m.unusableRxBuffers());
        assertThat(m.resetsSent()).isPositive();
        assertThat(m.creditOverruns() + m.malformedPackets() + m.refusedByLimit() + m.droppedResets()).isPositive();
    }

    // ---- the two well-behaved streams ----

    private void setUp() {
        if (h == null) {
            h = new VsockHarness(new VsockDeviceConfig(CID, VsockHarness.QUEUE, MAX_STREAMS, 64 * 1024, 16 * 1024,
                    BUF_ALLOC, Duration.ofSeconds(30)));
            h.listen(LISTEN);
        }
        if (h.device.state() instanceof dev.paddock.runtime.virtio.DeviceState.Active) {
            h.mmio.reset();
            h.loop.runAll();
        }
        h.accepted.clear();
        h.reprobe();
        toGuestA.reset();
        toGuestB.reset();
        h.send(fromGuest(GOOD_GUEST_PORT, LISTEN, OP_REQUEST, 1 << 20, 0, new byte[0]));
        guestSide = h.lastAccepted(LISTEN).autoConsume();
        RecordingPeer peer = new RecordingPeer().autoConsume();
        CompletableFuture<VsockStream> f = h.device.connect(AGENT_PORT, peer);
        h.loop.runAll();
        hostSidePort = -1;
        for (Packet p : h.guest.receive()) {
            if (p.op() == OP_REQUEST && p.dstPort() == AGENT_PORT) {
                hostSidePort = p.srcPort();
            }
        }
        assertThat(hostSidePort).as("the host's REQUEST reached the guest").isNotEqualTo(-1);
        h.send(fromGuest(AGENT_PORT, hostSidePort, OP_RESPONSE, 1 << 20, 0, new byte[0]));
        assertThat(f).isCompleted();
        peer.stream = f.join();
        hostSide = peer;
    }

    private void goodStreamsCarryOn(SplittableRandom random) {
        for (int round = 0; round < 2; round++) {
            byte[] upA = randomBytes(random, 1 + random.nextInt(3000));
            byte[] upB = randomBytes(random, 1 + random.nextInt(3000));
            int beforeA = guestSide.bytes().length;
            int beforeB = hostSide.bytes().length;
            sendCut(random, fromGuest(GOOD_GUEST_PORT, LISTEN, OP_RW, 1 << 20, 0, upA));
            sendCut(random, fromGuest(AGENT_PORT, hostSidePort, OP_RW, 1 << 20, 0, upB));
            assertThat(Arrays.copyOfRange(guestSide.bytes(), beforeA, guestSide.bytes().length)).isEqualTo(upA);
            assertThat(Arrays.copyOfRange(hostSide.bytes(), beforeB, hostSide.bytes().length)).isEqualTo(upB);

            byte[] downA = randomBytes(random, 1 + random.nextInt(10_000));
            byte[] downB = randomBytes(random, 1 + random.nextInt(10_000));
            int seenA = toGuestA.size();
            int seenB = toGuestB.size();
            guestSide.stream.write(ByteBuffer.wrap(downA));
            hostSide.stream.write(ByteBuffer.wrap(downB));
            drain();
            assertThat(Arrays.copyOfRange(toGuestA.toByteArray(), seenA, toGuestA.size())).isEqualTo(downA);
            assertThat(Arrays.copyOfRange(toGuestB.toByteArray(), seenB, toGuestB.size())).isEqualTo(downB);
        }
        assertThat(guestSide.closed).isNull();
        assertThat(hostSide.closed).isNull();
    }

    /** Receives until the device has nothing more; keeps the good streams' bytes. */
    private void drain() {
        h.loop.runAll();
        for (int quiet = 0; quiet < 2; ) {
            List<Packet> got = h.receive();
            if (got.isEmpty()) {
                quiet++;
                continue;
            }
            quiet = 0;
            for (Packet p : got) {
                assertThat(p.srcCid()).isEqualTo(HOST_CID);
                assertThat(p.dstCid()).isEqualTo(CID);
                if (p.op() != OP_RW) {
                    continue;
                }
                if (p.srcPort() == LISTEN && p.dstPort() == GOOD_GUEST_PORT) {
                    toGuestA.writeBytes(p.payload());
                } else if (p.srcPort() == hostSidePort && p.dstPort() == AGENT_PORT) {
                    toGuestB.writeBytes(p.payload());
                }
            }
        }
    }

    private void assertHealthy() {
        assertThat(h.transport.lastError()).as("a device bug, caught by the transport").doesNotContain("device failed");
        assertThat(h.mmio.status() & VirtioMmioDriver.NEEDS_RESET).as("NEEDS_RESET: " + h.transport.lastError()).isZero();
        assertThat(h.device.openStreams()).isBetween(2, MAX_STREAMS);
    }

    // ---- what a hostile guest does ----

    private static final int MAX_PACKET = 64 * 1024;

    private void hostileAction(SplittableRandom random) {
        int guestPort = 60_000 + random.nextInt(2000);
        switch (random.nextInt(9)) {
            case 0 -> { // a burst of REQUESTs to closed ports, RSTs unread
                int n = 1 + random.nextInt(200);
                for (int i = 0; i < n; i++) {
                    h.guest.postTx(fromGuest(guestPort + i, CLOSED, OP_REQUEST, BUF_ALLOC, 0, new byte[0]).encode());
                    if (i % 32 == 31) {
                        h.guest.kickTx();
                    }
                }
                h.guest.kickTx();
            }
            case 1 -> h.send(fromGuest(guestPort, LISTEN, OP_REQUEST, random.nextInt(), random.nextInt(), new byte[0]));
            case 2 -> { // a random header, cut anywhere
                byte[] payload = randomBytes(random, random.nextInt(300));
                int[] lens = {0, payload.length, payload.length + 1, random.nextInt(), MAX_PACKET + 1, -1};
                int[] types = {TYPE_STREAM, TYPE_STREAM, TYPE_SEQPACKET, 0, random.nextInt(0x10000)};
                long[] srcCids = {CID, CID, CID, CID + 1, 2, random.nextLong()};
                long[] dstCids = {HOST_CID, HOST_CID, HOST_CID, CID, random.nextLong()};
                int[] hostPorts = {LISTEN, CLOSED, random.nextInt()};
                Packet p = new Packet(srcCids[random.nextInt(srcCids.length)], dstCids[random.nextInt(dstCids.length)],
                        guestPort, hostPorts[random.nextInt(hostPorts.length)], lens[random.nextInt(lens.length)],
                        types[random.nextInt(types.length)], random.nextInt(10), random.nextInt(), random.nextInt(),
                        random.nextInt(), payload);
                sendCut(random, p);
            }
            case 3 -> { // a chain too short for a header
                byte[] raw = Arrays.copyOf(fromGuest(guestPort, LISTEN, OP_REQUEST).encode(), random.nextInt(HEADER_BYTES));
                h.guest.sendRaw(raw, cuts(random, raw.length));
            }
            case 4 -> { // a stream of its own that overruns its credit
                h.send(fromGuest(guestPort, LISTEN, OP_REQUEST, BUF_ALLOC, 0, new byte[0]));
                sendCut(random, fromGuest(guestPort, LISTEN, OP_RW, BUF_ALLOC, 0, randomBytes(random, BUF_ALLOC)));
                sendCut(random, fromGuest(guestPort, LISTEN, OP_RW, BUF_ALLOC, 0, randomBytes(random, 1 + random.nextInt(100))));
            }
            case 5 -> { // RSTs, SHUTDOWNs, credit traffic for streams that may or may not exist
                int[] ops = {OP_RST, OP_SHUTDOWN, OP_CREDIT_UPDATE, OP_CREDIT_REQUEST, OP_RESPONSE, OP_RW};
                int n = 1 + random.nextInt(20);
                for (int i = 0; i < n; i++) {
                    h.guest.postTx(fromGuest(guestPort, random.nextBoolean() ? LISTEN : CLOSED, ops[random.nextInt(ops.length)],
                            random.nextInt(4), random.nextInt(), new byte[0]).encode());
                }
                h.guest.kickTx();
            }
            case 6 -> { // odd RX buffers: too small for a header, or split into small pieces
                int n = 1 + random.nextInt(3);
                for (int i = 0; i < n; i++) {
                    if (random.nextBoolean()) {
                        h.guest.postRx(1 + random.nextInt(HEADER_BYTES + 2));
                    } else {
                        h.guest.postRxSplit(1 + random.nextInt(40), 1 + random.nextInt(40), 1 + random.nextInt(4000));
                    }
                }
                h.guest.kickRx();
            }
            case 7 -> { // a credit-request flood on an accepted stream
                h.send(fromGuest(guestPort, LISTEN, OP_REQUEST, BUF_ALLOC, 0, new byte[0]));
                int n = 1 + random.nextInt(60);
                for (int i = 0; i < n; i++) {
                    h.guest.postTx(fromGuest(guestPort, LISTEN, OP_CREDIT_REQUEST, BUF_ALLOC, 0, new byte[0]).encode());
                }
                h.guest.kickTx();
            }
            default -> { // pure garbage of any length
                byte[] raw = randomBytes(random, random.nextInt(200));
                if (raw.length >= HEADER_BYTES && random.nextBoolean()) {
                    ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, CID).putLong(8, HOST_CID);
                }
                h.guest.sendRaw(raw, cuts(random, raw.length));
            }
        }
        h.loop.runAll();
    }

    private void sendCut(SplittableRandom random, Packet p) {
        byte[] raw = p.encode();
        h.guest.sendRaw(raw, cuts(random, raw.length));
        h.loop.runAll();
    }

    /** Up to 5 increasing cut offsets, biased to the header's edges and fields. */
    private static int[] cuts(SplittableRandom random, int length) {
        int n = random.nextInt(6);
        int[] edges = {1, 8, 16, 24, 28, 30, 32, 36, 40, 43, 44, 45};
        int[] cuts = new int[n];
        for (int i = 0; i < n; i++) {
            int c = random.nextBoolean() ? edges[random.nextInt(edges.length)] : random.nextInt(Math.max(1, length));
            cuts[i] = Math.min(c, length);
        }
        Arrays.sort(cuts);
        return cuts;
    }

    private static Packet fromGuest(int guestPort, int hostPort, int op, int bufAlloc, int fwdCnt, byte[] payload) {
        return Packet.fromGuest(CID, guestPort, hostPort, op, op == OP_SHUTDOWN ? SHUTDOWN_SEND : 0, bufAlloc, fwdCnt, payload);
    }

    private static Packet fromGuest(int guestPort, int hostPort, int op) {
        return fromGuest(guestPort, hostPort, op, BUF_ALLOC, 0, new byte[0]);
    }

    private static byte[] randomBytes(SplittableRandom random, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) random.nextInt(256);
        }
        return b;
    }
}
