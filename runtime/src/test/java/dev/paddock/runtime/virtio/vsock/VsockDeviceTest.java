package dev.paddock.runtime.virtio.vsock;

import static dev.paddock.runtime.virtio.vsock.VsockHarness.CID;
import static dev.paddock.runtime.virtio.vsock.VsockHarness.fromGuest;
import static dev.paddock.testkit.VsockDriver.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.runtime.virtio.DeviceState;
import dev.paddock.runtime.virtio.DeviceType;
import dev.paddock.testkit.VirtioMmioDriver;
import dev.paddock.testkit.VsockDriver.Packet;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class VsockDeviceTest {
    private static final int GUEST_PORT = 50_000;
    private static final int HOST_PORT = 1234;

    private VsockHarness h = new VsockHarness();

    private static VsockDeviceConfig config(int maxStreams, int high, int low, int bufAlloc, Duration timeout) {
        return new VsockDeviceConfig(CID, VsockHarness.QUEUE, maxStreams, high, low, bufAlloc, timeout);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    /** The guest connects GUEST_PORT → HOST_PORT and gets RESPONSE; returns the host's peer. */
    private RecordingPeer guestConnects(int guestPort) {
        h.listen(HOST_PORT);
        h.send(fromGuest(guestPort, HOST_PORT, OP_REQUEST));
        List<Packet> reply = h.receive();
        assertThat(reply).hasSize(1);
        assertThat(reply.get(0).op()).isEqualTo(OP_RESPONSE);
        return h.lastAccepted(HOST_PORT);
    }

    private static byte[] concat(List<Packet> packets) {
        int n = packets.stream().mapToInt(p -> p.payload().length).sum();
        ByteBuffer b = ByteBuffer.allocate(n);
        packets.forEach(p -> b.put(p.payload()));
        return b.array();
    }

    @Test
    void isDevice19WithThreeQueuesTheGuestCidAndStreamsOnly() {
        assertThat(h.mmio.readRegister(VirtioMmioDriver.DEVICE_ID)).isEqualTo(DeviceType.VSOCK);
        assertThat(h.transport.queueCount()).isEqualTo(3);
        assertThat(h.guest.guestCid()).isEqualTo(CID);
        assertThat(h.mmio.readConfig(8, 4)).containsOnly(0);
        assertThat(h.mmio.deviceFeatures()).isEqualTo(1L << 32 | 1L << 28 | 1L);
        h.mmio.writeRegister(VirtioMmioDriver.CONFIG, 99);
        assertThat(h.guest.guestCid()).as("guest_cid is read-only").isEqualTo(CID);
    }

    @Test
    void refusesActivationWithoutAllThreeQueues() {
        h.mmio.initialize(~0L, h.guest.rxQueue(), h.guest.txQueue());
        assertThat(h.mmio.status() & VirtioMmioDriver.NEEDS_RESET).isNotZero();
        assertThat(h.device.state()).isEqualTo(DeviceState.INACTIVE);
    }

    @Test
    void guestConnectAcceptedByTheBackendGetsAResponse() {
        h.up();
        h.listen(HOST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_REQUEST));
        List<Packet> reply = h.receive();

        assertThat(reply).hasSize(1);
        Packet r = reply.get(0);
        assertThat(r.op()).isEqualTo(OP_RESPONSE);
        assertThat(r.type()).isEqualTo(TYPE_STREAM);
        assertThat(r.srcCid()).isEqualTo(HOST_CID);
        assertThat(r.dstCid()).isEqualTo(CID);
        assertThat(r.srcPort()).isEqualTo(HOST_PORT);
        assertThat(r.dstPort()).isEqualTo(GUEST_PORT);
        assertThat(r.bufAlloc()).isEqualTo(h.config.bufAlloc());
        assertThat(r.fwdCnt()).isZero();
        RecordingPeer peer = h.lastAccepted(HOST_PORT);
        assertThat(peer.stream.guestCid()).isEqualTo(CID);
        assertThat(peer.stream.guestPort()).isEqualTo(GUEST_PORT);
        assertThat(peer.stream.hostPort()).isEqualTo(HOST_PORT);
        assertThat(h.device.openStreams()).isEqualTo(1);
        assertThat(h.interrupts.get()).isPositive();
    }

    @Test
    void guestConnectToAPortNobodyListensOnGetsRst() {
        h.up();
        h.send(fromGuest(GUEST_PORT, 4242, OP_REQUEST));
        List<Packet> reply = h.receive();
        assertThat(reply).singleElement().satisfies(p -> {
            assertThat(p.op()).isEqualTo(OP_RST);
            assertThat(p.srcPort()).isEqualTo(4242);
            assertThat(p.dstPort()).isEqualTo(GUEST_PORT);
            assertThat(p.dstCid()).isEqualTo(CID);
        });
        assertThat(h.device.metrics().refusedByBackend()).isEqualTo(1);
        assertThat(h.device.openStreams()).isZero();
    }

    @Test
    void backendThatThrowsRefusesTheStreamAndTheDeviceCarriesOn() {
        h = new VsockHarness(VsockHarness.small(), s -> {
            throw new IllegalStateException("backend bug");
        });
        h.up();
        h.send(fromGuest(GUEST_PORT, 7, OP_REQUEST));
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RST);
    }

    @Test
    void dataFlowsBothWays() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        byte[] up = pattern(3000, 1);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, up));
        assertThat(peer.bytes()).isEqualTo(up);

        byte[] down = pattern(10_000, 2);
        assertThat(peer.stream.write(ByteBuffer.wrap(down))).isTrue();
        List<Packet> got = h.receive();
        assertThat(got).allSatisfy(p -> {
            assertThat(p.op()).isEqualTo(OP_RW);
            assertThat(p.len()).isLessThanOrEqualTo(4096);
            assertThat(p.srcPort()).isEqualTo(HOST_PORT);
            assertThat(p.dstPort()).isEqualTo(GUEST_PORT);
        });
        assertThat(concat(got)).isEqualTo(down);
        assertThat(h.device.metrics().bytesToGuest()).isEqualTo(10_000);
        assertThat(h.device.metrics().bytesFromGuest()).isEqualTo(3000);
    }

    @Test
    void theGuestsDataIsHandedOverAsAReadOnlyViewOfExactlyThatPacket() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        byte[] first = pattern(3000, 7);
        byte[] second = pattern(10, 8);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, first));
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, second));
        // A shorter packet after a longer one carries none of the longer one's bytes.
        assertThat(peer.bytes()).hasSize(3010).startsWith(first).endsWith(second);
        assertThat(peer.views).hasSize(2).allSatisfy(v -> {
            assertThat(v.isReadOnly()).isTrue();
            assertThatThrownBy(() -> v.put(0, (byte) 1)).isInstanceOf(java.nio.ReadOnlyBufferException.class);
        });
        // The views are of one reused buffer, valid during onData only (VsockPeer#onData): no buffer per packet,
        // so a view kept past its call (as here, against the contract) shows the next packet's bytes.
        assertThat(peer.views.get(1).limit()).as("the view ends with its packet").isEqualTo(10);
        byte[] keptTooLong = new byte[10];
        peer.views.get(0).duplicate().rewind().get(keptTooLong);
        assertThat(keptTooLong).isEqualTo(second);
    }

    @Test
    void directBuffersAndSlicesAreSentFromTheirPosition() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        ByteBuffer direct = ByteBuffer.allocateDirect(100);
        direct.put(pattern(100, 5)).flip().position(10);
        ByteBuffer heap = ByteBuffer.wrap(pattern(50, 6), 20, 30).slice();
        peer.stream.write(direct);
        peer.stream.write(heap);
        byte[] expected = new byte[90 + 30];
        System.arraycopy(pattern(100, 5), 10, expected, 0, 90);
        System.arraycopy(pattern(50, 6), 20, expected, 90, 30);
        assertThat(concat(h.receive())).isEqualTo(expected);
    }

    @Test
    void headersAndPayloadsMaySpanDescriptorsAnywhere() {
        h.guest.initialize();
        h.guest.autoRefill(false);
        h.guest.fillRx(1);
        h.listen(HOST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_REQUEST));
        assertThat(h.guest.receive()).extracting(Packet::op).containsExactly(OP_RESPONSE);
        RecordingPeer peer = h.lastAccepted(HOST_PORT);

        byte[] payload = pattern(700, 3);
        byte[] raw = fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, payload).encode();
        h.guest.sendRaw(raw, 1, 17, 43, 44, 45, 300);
        h.loop.runAll();
        assertThat(peer.bytes()).isEqualTo(payload);

        // RX: a header split in the middle and the data in two more descriptors.
        peer.stream.write(ByteBuffer.wrap(pattern(200, 4)));
        h.loop.runAll();
        assertThat(h.guest.receive()).as("no RX buffer yet").isEmpty();
        h.guest.postRxSplit(20, 24, 100, 100);
        h.guest.kickRx();
        List<Packet> got = h.guest.receive();
        assertThat(got).singleElement().satisfies(p -> assertThat(p.payload()).isEqualTo(pattern(200, 4)));
    }

    @Test
    void describeShowsWhatWaitsForTheGuestAndTheQueuesAsTheGuestHasThem() {
        h.guest.initialize();
        h.guest.autoRefill(false);
        h.guest.fillRx(1);
        h.listen(HOST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_REQUEST));
        assertThat(h.guest.receive()).extracting(Packet::op).containsExactly(OP_RESPONSE);
        RecordingPeer peer = h.lastAccepted(HOST_PORT);
        peer.stream.write(ByteBuffer.wrap(pattern(200, 4)));
        h.loop.runAll();

        // The 200 bytes wait for an RX buffer the guest has not given: the stall a hung exec would show.
        var described = h.device.describe();
        h.loop.runAll();
        assertThat(described).isCompleted();
        String text = described.join();
        assertThat(text).contains("vsock counters: tx 1, rx 1 packets")
                .contains("1 streams, 1 ready")
                .contains("host port " + HOST_PORT + " <-> guest " + CID + " port " + GUEST_PORT + ": ESTABLISHED")
                .contains("200 pending").contains("has a packet");
        assertThat(h.transport.describe()).contains("virtio device type 19")
                .contains("queue 0 (size " + VsockHarness.QUEUE + "): taken 1, avail.idx 1 (0 waiting)")
                .contains("used.idx 1 (ours 1)");

        h.device.close();
        assertThat(h.device.describe().join()).as("after the loop stopped").contains("the device loop has stopped");
    }

    @Test
    void theGuestCannotOverrunItsCredit() {
        h = new VsockHarness(config(16, 4096, 1024, 1000, Duration.ofSeconds(2)));
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, pattern(1000, 1)));
        assertThat(peer.bytes()).hasSize(1000);
        assertThat(peer.closed).isNull();

        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, new byte[1]));
        assertThat(peer.bytes()).as("the byte beyond buf_alloc is not delivered").hasSize(1000);
        assertThat(peer.closed).contains("overran its credit");
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RST);
        assertThat(h.device.metrics().creditOverruns()).isEqualTo(1);
        assertThat(h.device.openStreams()).isZero();
    }

    @Test
    void consumedReleasesCreditAndACreditUpdateGoesOutWhenTheGuestIsNearStalled() {
        h = new VsockHarness(config(16, 4096, 1024, 1000, Duration.ofSeconds(2)));
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, pattern(300, 1)));
        peer.stream.consumed(300);
        assertThat(h.receive()).as("the guest still knows of 700 free bytes: no update needed").isEmpty();

        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, pattern(600, 2)));
        peer.stream.consumed(100);
        List<Packet> update = h.receive();
        assertThat(update).singleElement().satisfies(p -> {
            assertThat(p.op()).isEqualTo(OP_CREDIT_UPDATE);
            assertThat(p.fwdCnt()).isEqualTo(400);
            assertThat(p.bufAlloc()).isEqualTo(1000);
        });
        // 900 received, 400 consumed: 500 unconsumed, so 500 more fit and 501 would not.
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, pattern(500, 3)));
        assertThat(peer.closed).isNull();
        assertThat(peer.bytes()).hasSize(1400);
    }

    @Test
    void everyPacketToTheGuestCarriesFwdCnt() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, pattern(100, 1)));
        peer.stream.consumed(60);
        peer.stream.write(ByteBuffer.wrap(bytes("hi")));
        assertThat(h.receive()).singleElement().satisfies(p -> {
            assertThat(p.op()).isEqualTo(OP_RW);
            assertThat(p.fwdCnt()).isEqualTo(60);
        });
    }

    @Test
    void creditRequestIsAnsweredWithACreditUpdate() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, pattern(10, 1)));
        peer.stream.consumed(10);
        h.loop.runAll();
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_CREDIT_REQUEST));
        assertThat(h.receive()).singleElement().satisfies(p -> {
            assertThat(p.op()).isEqualTo(OP_CREDIT_UPDATE);
            assertThat(p.fwdCnt()).isEqualTo(10);
        });
    }

    @Test
    void hostNeverSendsMoreThanTheGuestsCredit() {
        h.up();
        h.listen(HOST_PORT);
        h.send(Packet.fromGuest(CID, GUEST_PORT, HOST_PORT, OP_REQUEST, 0, 1000, 0, new byte[0]));
        h.receive();
        RecordingPeer peer = h.lastAccepted(HOST_PORT);
        byte[] down = pattern(2500, 7);
        peer.stream.write(ByteBuffer.wrap(down));
        List<Packet> first = h.receive();
        assertThat(concat(first)).hasSize(1000);

        // The guest read 600: its fwd_cnt says so, which frees 600 of credit.
        h.send(Packet.fromGuest(CID, GUEST_PORT, HOST_PORT, OP_CREDIT_UPDATE, 0, 1000, 600, new byte[0]));
        List<Packet> second = h.receive();
        assertThat(concat(second)).hasSize(600);
        // A credit update piggybacked on an RW: fwd_cnt 1600 frees everything.
        h.send(Packet.fromGuest(CID, GUEST_PORT, HOST_PORT, OP_RW, 0, 1000, 1600, bytes("x")));
        List<Packet> third = h.receive();
        assertThat(concat(third)).hasSize(900);
        byte[] all = new byte[2500];
        System.arraycopy(concat(first), 0, all, 0, 1000);
        System.arraycopy(concat(second), 0, all, 1000, 600);
        System.arraycopy(concat(third), 0, all, 1600, 900);
        assertThat(all).isEqualTo(down);
    }

    @Test
    void writeReturnsFalseAtHighWaterAndOnWritableFiresAtLowWater() {
        h = new VsockHarness(config(16, 1000, 200, 64 * 1024, Duration.ofSeconds(2)));
        h.up();
        h.listen(HOST_PORT);
        // The guest grants no credit at first.
        h.send(Packet.fromGuest(CID, GUEST_PORT, HOST_PORT, OP_REQUEST, 0, 0, 0, new byte[0]));
        h.receive();
        RecordingPeer peer = h.lastAccepted(HOST_PORT);
        assertThat(peer.stream.write(ByteBuffer.wrap(pattern(600, 1)))).isTrue();
        assertThat(peer.stream.write(ByteBuffer.wrap(pattern(600, 2)))).isFalse();
        assertThat(peer.stream.write(ByteBuffer.wrap(new byte[0]))).isFalse();
        assertThat(h.receive()).isEmpty();
        assertThat(peer.writable).isZero();

        // 500 of credit: 700 still queued, above low water.
        h.send(Packet.fromGuest(CID, GUEST_PORT, HOST_PORT, OP_CREDIT_UPDATE, 0, 500, 0, new byte[0]));
        assertThat(concat(h.receive())).hasSize(500);
        assertThat(peer.writable).isZero();
        // 500 more: 200 queued, at low water.
        h.send(Packet.fromGuest(CID, GUEST_PORT, HOST_PORT, OP_CREDIT_UPDATE, 0, 500, 500, new byte[0]));
        assertThat(concat(h.receive())).hasSize(500);
        assertThat(peer.writable).isEqualTo(1);
        assertThat(peer.stream.write(ByteBuffer.wrap(pattern(10, 3)))).isTrue();
        h.send(Packet.fromGuest(CID, GUEST_PORT, HOST_PORT, OP_CREDIT_UPDATE, 0, 10_000, 1000, new byte[0]));
        assertThat(concat(h.receive())).hasSize(210);
        assertThat(peer.writable).as("only after a false from write").isEqualTo(1);
    }

    @Test
    void hostConnectCompletesOnTheGuestsResponse() throws Exception {
        h.up();
        RecordingPeer peer = new RecordingPeer();
        CompletableFuture<VsockStream> f = h.device.connect(1024, peer);
        List<Packet> request = h.receive();
        assertThat(request).singleElement().satisfies(p -> {
            assertThat(p.op()).isEqualTo(OP_REQUEST);
            assertThat(p.srcCid()).isEqualTo(HOST_CID);
            assertThat(p.dstCid()).isEqualTo(CID);
            assertThat(p.dstPort()).isEqualTo(1024);
            assertThat(Integer.toUnsignedLong(p.srcPort())).isGreaterThanOrEqualTo(1L << 30);
            assertThat(p.bufAlloc()).isEqualTo(h.config.bufAlloc());
        });
        assertThat(f).isNotDone();
        int hostPort = request.get(0).srcPort();
        h.send(Packet.fromGuest(CID, 1024, hostPort, OP_RESPONSE, 0, 65536, 0, new byte[0]));
        assertThat(f).isCompleted();
        VsockStream stream = f.get();
        peer.stream = stream;
        assertThat(stream.guestPort()).isEqualTo(1024);
        assertThat(stream.hostPort()).isEqualTo(hostPort);

        stream.write(ByteBuffer.wrap(bytes("HELLO")));
        assertThat(h.receive()).singleElement().satisfies(p -> assertThat(p.payload()).isEqualTo(bytes("HELLO")));
        h.send(Packet.fromGuest(CID, 1024, hostPort, OP_RW, 0, 65536, 5, bytes("WORLD")));
        assertThat(peer.bytes()).isEqualTo(bytes("WORLD"));
    }

    @Test
    void hostConnectsGetDistinctHostPorts() {
        h.up();
        h.device.connect(1024, new RecordingPeer());
        h.device.connect(1024, new RecordingPeer());
        List<Packet> requests = h.receive();
        assertThat(requests).hasSize(2);
        assertThat(requests.get(0).srcPort()).isNotEqualTo(requests.get(1).srcPort());
    }

    @Test
    void hostConnectFailsOnRst() {
        h.up();
        CompletableFuture<VsockStream> f = h.device.connect(4242, new RecordingPeer());
        Packet request = h.receive().get(0);
        h.send(Packet.fromGuest(CID, 4242, request.srcPort(), OP_RST, 0, 0, 0, new byte[0]));
        assertThat(f).isCompletedExceptionally();
        assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).cause()
                .isInstanceOf(VsockConnectException.class).hasMessageContaining("4242").hasMessageContaining("reset");
        assertThat(h.receive()).as("a RST is never answered").isEmpty();
        assertThat(h.device.openStreams()).isZero();
    }

    @Test
    void hostConnectTimesOutAndResetsTheHalfOpenStream() throws Exception {
        h = new VsockHarness(config(16, 4096, 1024, 4096, Duration.ofMillis(30)));
        h.up();
        CompletableFuture<VsockStream> f = h.device.connect(1024, new RecordingPeer());
        Packet request = h.receive().get(0);
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!f.isDone() && System.nanoTime() < deadline) {
            h.loop.runAll();
            Thread.sleep(5);
        }
        assertThatThrownBy(f::get).cause().isInstanceOf(VsockConnectException.class).hasMessageContaining("no RESPONSE within 30 ms");
        assertThat(h.receive()).singleElement().satisfies(p -> {
            assertThat(p.op()).isEqualTo(OP_RST);
            assertThat(p.srcPort()).isEqualTo(request.srcPort());
        });
        // A RESPONSE arriving late is for a stream that is gone: RST.
        h.send(Packet.fromGuest(CID, 1024, request.srcPort(), OP_RESPONSE, 0, 4096, 0, new byte[0]));
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RST);
    }

    @Test
    void hostConnectFailsWhileTheDriverIsNotUp() {
        CompletableFuture<VsockStream> f = h.device.connect(1024, new RecordingPeer());
        h.loop.runAll();
        assertThatThrownBy(f::get).cause().isInstanceOf(VsockConnectException.class).hasMessageContaining("not active");
    }

    @Test
    void guestShutsDownSendingThenTheHostDoesAndTheStreamEnds() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_SHUTDOWN, SHUTDOWN_SEND, 0, new byte[0]));
        assertThat(peer.guestShutdownSend).isTrue();
        assertThat(peer.closed).isNull();

        // The host may still write; its shutdown goes after the queued bytes.
        peer.stream.write(ByteBuffer.wrap(bytes("last words")));
        peer.stream.shutdownOutput();
        assertThatThrownBy(() -> peer.stream.write(ByteBuffer.wrap(bytes("more")))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("shutdownOutput");
        List<Packet> got = h.receive();
        assertThat(got).extracting(Packet::op).containsExactly(OP_RW, OP_SHUTDOWN, OP_RST);
        assertThat(got.get(1).flags()).isEqualTo(SHUTDOWN_SEND);
        assertThat(peer.closed).isEqualTo("both sides shut down sending");
        assertThat(peer.events).containsExactly("shutdown-send", "closed");
        assertThat(h.device.openStreams()).isZero();
    }

    @Test
    void hostShutsDownFirstThenTheGuestClosesBothHalves() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        peer.stream.shutdownOutput();
        assertThat(h.receive()).singleElement().satisfies(p -> {
            assertThat(p.op()).isEqualTo(OP_SHUTDOWN);
            assertThat(p.flags()).isEqualTo(SHUTDOWN_SEND);
        });
        // The guest can still send after the host's half-close.
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, bytes("reply")));
        assertThat(peer.bytes()).isEqualTo(bytes("reply"));
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_SHUTDOWN, SHUTDOWN_SEND | SHUTDOWN_RCV, 0, new byte[0]));
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RST);
        assertThat(peer.guestShutdownSend).isTrue();
        assertThat(peer.closed).isNotNull();
    }

    @Test
    void guestShutdownOfReceivingDiscardsHostBytes() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_SHUTDOWN, SHUTDOWN_RCV, 0, new byte[0]));
        assertThat(peer.stream.write(ByteBuffer.wrap(pattern(100, 1)))).isTrue();
        assertThat(h.receive()).isEmpty();
        // The guest still sends; the host still reads.
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, bytes("up")));
        assertThat(peer.bytes()).isEqualTo(bytes("up"));
        assertThat(peer.closed).isNull();
    }

    @Test
    void guestClosingBothHalvesAtOnceGetsRst() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        peer.stream.write(ByteBuffer.wrap(pattern(10, 1)));
        h.guest.autoRefill(false);
        h.guest.receive();
        h.guest.rxQueue().takeUsed();
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_SHUTDOWN, SHUTDOWN_SEND | SHUTDOWN_RCV, 0, new byte[0]));
        assertThat(peer.closed).isEqualTo("the guest shut down both directions");
        assertThatThrownBy(() -> peer.stream.write(ByteBuffer.wrap(bytes("x")))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void rstFromTheGuestClosesTheStreamWithoutAnswer() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RST));
        assertThat(peer.closed).isEqualTo("reset by the guest");
        assertThat(h.receive()).isEmpty();
        assertThat(h.device.openStreams()).isZero();
        // Host calls after the end are harmless.
        peer.stream.consumed(5);
        peer.stream.reset();
        peer.stream.shutdownOutput();
        assertThat(h.receive()).isEmpty();
    }

    @Test
    void hostResetSendsRst() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        peer.stream.write(ByteBuffer.wrap(pattern(10, 1)));
        peer.stream.reset();
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RST);
        assertThat(peer.closed).isEqualTo("reset by the host");
    }

    @Test
    void packetsForUnknownStreamsGetRstAndRstsAreNeverAnswered() {
        h.up();
        h.send(fromGuest(GUEST_PORT, 99, OP_RW, 0, 0, bytes("who?")));
        h.send(fromGuest(GUEST_PORT, 99, OP_SHUTDOWN, SHUTDOWN_SEND, 0, new byte[0]));
        h.send(fromGuest(GUEST_PORT, 99, OP_CREDIT_UPDATE));
        h.send(fromGuest(GUEST_PORT, 99, OP_RESPONSE));
        h.send(fromGuest(GUEST_PORT, 99, OP_RST));
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RST, OP_RST, OP_RST, OP_RST);
    }

    @Test
    void protocolViolationsResetTheStream() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RESPONSE));
        assertThat(peer.closed).contains("protocol violation").contains("RESPONSE");
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RST);

        RecordingPeer second = guestConnects(GUEST_PORT + 1);
        h.send(fromGuest(GUEST_PORT + 1, HOST_PORT, 99));
        assertThat(second.closed).contains("op 99");
        assertThat(h.device.metrics().protocolViolations()).isEqualTo(2);
    }

    @Test
    void misaddressedPacketsAreDroppedUnanswered() {
        h.up();
        h.listen(HOST_PORT);
        h.send(Packet.fromGuest(CID + 1, GUEST_PORT, HOST_PORT, OP_REQUEST, 0, 4096, 0, new byte[0]));
        h.send(new Packet(CID, 7, GUEST_PORT, HOST_PORT, 0, TYPE_STREAM, OP_REQUEST, 0, 4096, 0, new byte[0]));
        assertThat(h.receive()).isEmpty();
        assertThat(h.accepted).isEmpty();
        assertThat(h.device.metrics().misaddressedPackets()).isEqualTo(2);
    }

    @Test
    void seqpacketIsRefusedWithRst() {
        h.up();
        h.listen(HOST_PORT);
        h.send(new Packet(CID, HOST_CID, GUEST_PORT, HOST_PORT, 0, TYPE_SEQPACKET, OP_REQUEST, 0, 4096, 0, new byte[0]));
        assertThat(h.receive()).singleElement().satisfies(p -> {
            assertThat(p.op()).isEqualTo(OP_RST);
            assertThat(p.type()).isEqualTo(TYPE_SEQPACKET);
        });
        assertThat(h.accepted).isEmpty();
    }

    @Test
    void lenBeyondTheChainResetsOnlyThatStream() {
        h.up();
        RecordingPeer victim = guestConnects(GUEST_PORT);
        RecordingPeer other = guestConnects(GUEST_PORT + 1);
        h.send(new Packet(CID, HOST_CID, GUEST_PORT, HOST_PORT, 5000, TYPE_STREAM, OP_RW, 0, 4096, 0, pattern(100, 1)));
        assertThat(victim.closed).contains("exceeds");
        assertThat(victim.bytes()).isEmpty();
        h.send(new Packet(CID, HOST_CID, GUEST_PORT + 1, HOST_PORT, 70_000, TYPE_STREAM, OP_RW, 0, 4096, 0, new byte[70_000]));
        assertThat(other.closed).contains("64 KiB");
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RST, OP_RST);
        assertThat(h.device.metrics().malformedPackets()).isEqualTo(2);

        RecordingPeer third = guestConnects(GUEST_PORT + 2);
        h.send(fromGuest(GUEST_PORT + 2, HOST_PORT, OP_RW, 0, 0, bytes("fine")));
        assertThat(third.bytes()).isEqualTo(bytes("fine"));
    }

    @Test
    void shortHeadersAreDropped() {
        h.up();
        h.guest.sendRaw(Arrays.copyOf(fromGuest(GUEST_PORT, HOST_PORT, OP_REQUEST).encode(), 43), 20);
        h.loop.runAll();
        assertThat(h.receive()).isEmpty();
        assertThat(h.guest.takeTxUsed()).singleElement().satisfies(u -> assertThat(u.length()).isZero());
        assertThat(h.device.metrics().malformedPackets()).isEqualTo(1);
    }

    @Test
    void streamsPerVmAreBounded() {
        h = new VsockHarness(config(2, 4096, 1024, 4096, Duration.ofSeconds(2)));
        h.up();
        h.listen(HOST_PORT);
        for (int i = 0; i < 3; i++) {
            h.send(fromGuest(GUEST_PORT + i, HOST_PORT, OP_REQUEST));
        }
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RESPONSE, OP_RESPONSE, OP_RST);
        assertThat(h.device.metrics().refusedByLimit()).isEqualTo(1);
        CompletableFuture<VsockStream> f = h.device.connect(1024, new RecordingPeer());
        h.loop.runAll();
        assertThatThrownBy(f::get).cause().isInstanceOf(VsockConnectException.class).hasMessageContaining("maximum of 2 streams");

        // Closing one makes room.
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RST));
        h.send(fromGuest(GUEST_PORT + 5, HOST_PORT, OP_REQUEST));
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RESPONSE);
    }

    @Test
    void driverResetClosesEveryStreamAndFailsPendingConnects() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        CompletableFuture<VsockStream> f = h.device.connect(1024, new RecordingPeer());
        h.loop.runAll();
        h.mmio.reset();
        assertThat(h.device.state()).isEqualTo(DeviceState.INACTIVE);
        h.loop.runAll();
        assertThat(peer.closed).contains("driver reset");
        assertThatThrownBy(f::get).cause().isInstanceOf(VsockConnectException.class).hasMessageContaining("reset");
        assertThat(h.device.openStreams()).isZero();
        assertThatThrownBy(() -> peer.stream.write(ByteBuffer.wrap(bytes("x")))).isInstanceOf(IllegalStateException.class);

        // A fresh activation starts empty and works.
        h.reprobe();
        RecordingPeer again = guestConnects(GUEST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, bytes("again")));
        assertThat(again.bytes()).isEqualTo(bytes("again"));
    }

    @Test
    void transportResetSendsTheEventAndEndsEveryStream() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        h.device.transportReset();
        h.loop.runAll();
        assertThat(h.guest.takeEvents()).containsExactly(0);
        assertThat(peer.closed).contains("transport reset");
        assertThat(h.device.openStreams()).isZero();
    }

    @Test
    void transportResetWaitsForAnEventBuffer() {
        h.guest.initialize();
        h.guest.fillRx(4);
        h.device.transportReset();
        h.loop.runAll();
        assertThat(h.guest.takeEvents()).isEmpty();
        h.guest.fillEvents(2);
        assertThat(h.guest.takeEvents()).containsExactly(0);
    }

    @Test
    void rxBuffersTooSmallForAHeaderAreReturnedEmpty() {
        h.guest.initialize();
        h.guest.fillEvents(1);
        h.listen(HOST_PORT);
        h.guest.autoRefill(false);
        h.guest.postRx(10);
        h.guest.postRx(VsockHarness.RX_BUFFER);
        h.guest.kickRx();
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_REQUEST));
        assertThat(h.guest.receive()).extracting(Packet::op).containsExactly(OP_RESPONSE);
        assertThat(h.guest.emptyRxBuffers()).isEqualTo(1);
        assertThat(h.device.metrics().unusableRxBuffers()).isEqualTo(1);
    }

    @Test
    void packetsWaitForRxBuffersAndGoOutWhenTheGuestKicks() {
        h.guest.initialize();
        h.listen(HOST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_REQUEST));
        RecordingPeer peer = h.lastAccepted(HOST_PORT);
        peer.stream.write(ByteBuffer.wrap(pattern(5000, 1)));
        h.loop.runAll();
        assertThat(h.guest.receive()).isEmpty();
        h.guest.fillRx(8);
        List<Packet> got = h.guest.receive();
        assertThat(got).extracting(Packet::op).containsExactly(OP_RESPONSE, OP_RW, OP_RW);
        assertThat(concat(got)).isEqualTo(pattern(5000, 1));
    }

    @Test
    void aBrokenRxRingNeedsReset() {
        h.up();
        h.guest.rxQueue().setAvailableIndex(h.guest.rxQueue().availableIndex() + 1000);
        h.listen(HOST_PORT);
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_REQUEST));
        assertThat(h.mmio.status() & VirtioMmioDriver.NEEDS_RESET).isNotZero();
        assertThat(h.transport.lastError()).doesNotContain("device failed");
    }

    @Test
    void aPeerThatThrowsLosesOnlyItsStream() {
        h.up();
        RecordingPeer bad = guestConnects(GUEST_PORT);
        RecordingPeer good = guestConnects(GUEST_PORT + 1);
        bad.failOnData = new IllegalStateException("peer bug");
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, bytes("boom")));
        assertThat(bad.closed).contains("peer bug");
        assertThat(h.receive()).extracting(Packet::op).containsExactly(OP_RST);
        h.send(fromGuest(GUEST_PORT + 1, HOST_PORT, OP_RW, 0, 0, bytes("ok")));
        assertThat(good.bytes()).isEqualTo(bytes("ok"));
    }

    @Test
    void closingTheDeviceAfterTheLoopEndedClosesEverything() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        CompletableFuture<VsockStream> pending = h.device.connect(1024, new RecordingPeer());
        h.loop.runAll();
        h.loop.stop();
        h.device.close();
        assertThat(peer.closed).isEqualTo("the VM ended");
        assertThatThrownBy(pending::get).cause().isInstanceOf(VsockConnectException.class);
        CompletableFuture<VsockStream> late = h.device.connect(1024, new RecordingPeer());
        assertThatThrownBy(late::get).cause().isInstanceOf(VsockConnectException.class).hasMessageContaining("stopped");
    }

    @Test
    void hostCallsAreChecked() {
        h.up();
        RecordingPeer peer = guestConnects(GUEST_PORT);
        assertThatThrownBy(() -> peer.stream.consumed(-1)).isInstanceOf(IllegalArgumentException.class);
        // Consuming more than was received never advances fwd_cnt past it.
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_RW, 0, 0, pattern(10, 1)));
        peer.stream.consumed(1_000_000);
        h.loop.runAll();
        h.send(fromGuest(GUEST_PORT, HOST_PORT, OP_CREDIT_REQUEST));
        assertThat(h.receive()).singleElement().satisfies(p -> assertThat(p.fwdCnt()).isEqualTo(10));
    }

    @Test
    void configIsChecked() {
        assertThatThrownBy(() -> VsockDeviceConfig.withCid(2)).hasMessageContaining("guest CID 2");
        assertThatThrownBy(() -> VsockDeviceConfig.withCid(1L << 32)).hasMessageContaining("guest CID");
        assertThatThrownBy(() -> config(0, 10, 1, 10, Duration.ofSeconds(1))).hasMessageContaining("maxStreams 0");
        assertThatThrownBy(() -> config(1, 10, 10, 10, Duration.ofSeconds(1))).hasMessageContaining("low 10 / high 10");
        assertThatThrownBy(() -> config(1, 10, 1, 0, Duration.ofSeconds(1))).hasMessageContaining("bufAlloc 0");
        assertThatThrownBy(() -> config(1, 10, 1, 10, Duration.ZERO)).hasMessageContaining("timeout");
        assertThatThrownBy(() -> new VsockDeviceConfig(3, 12, 1, 10, 1, 10, Duration.ofSeconds(1))).hasMessageContaining("queue size 12");
        assertThat(VsockDeviceConfig.withCid(3).withGuestCid(9).guestCid()).isEqualTo(9);
    }
}
