package dev.paddock.runtime.virtio.vsock;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import dev.paddock.runtime.virtio.mmio.MmioTransport;
import dev.paddock.testkit.VirtioMmioDriver;
import dev.paddock.testkit.VsockDriver;
import dev.paddock.testkit.VsockDriver.Packet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A vsock device behind its MMIO transport over heap guest memory, the testkit's guest driver, a manual device
 * loop, and a backend with listeners on chosen host ports. No KVM.
 */
final class VsockHarness {
    static final long CID = 3;
    static final int QUEUE = 64;
    static final int RX_BUFFER = 4096 + VsockDriver.HEADER_BYTES;

    final HeapGuestMemory memory = HeapGuestMemory.ofSize(32L << 20);
    final ManualLoop loop = new ManualLoop();
    final AtomicInteger interrupts = new AtomicInteger();
    final Map<Integer, List<RecordingPeer>> accepted = new HashMap<>();
    final List<Integer> listening = new ArrayList<>();
    final VsockDeviceConfig config;
    final VsockDevice device;
    final MmioTransport transport;
    final VirtioMmioDriver mmio;
    VsockDriver guest;

    VsockHarness(VsockDeviceConfig config) {
        this(config, null);
    }

    /** With {@code backend}, or (null) one that accepts on the ports given to {@link #listen}. */
    VsockHarness(VsockDeviceConfig config, VsockBackend backendOrNull) {
        this.config = config;
        VsockBackend backend = backendOrNull != null ? backendOrNull : stream -> {
            if (!listening.contains(stream.hostPort())) {
                return null;
            }
            RecordingPeer peer = new RecordingPeer();
            peer.stream = stream;
            accepted.computeIfAbsent(stream.hostPort(), p -> new ArrayList<>()).add(peer);
            return peer;
        };
        device = new VsockDevice(config, backend, loop);
        transport = new MmioTransport(device, memory, interrupts::incrementAndGet, Runnable::run);
        mmio = new VirtioMmioDriver(transport::read, transport::write);
        guest = new VsockDriver(memory, mmio, 0x10_0000, QUEUE, RX_BUFFER);
    }

    VsockHarness() {
        this(small());
    }

    /** The default config with queues of {@link #QUEUE} entries. */
    static VsockDeviceConfig small() {
        VsockDeviceConfig d = VsockDeviceConfig.withCid(CID);
        return new VsockDeviceConfig(CID, QUEUE, d.maxStreams(), d.sendHighWater(), d.sendLowWater(), d.bufAlloc(),
                d.connectTimeout());
    }

    /** After a driver reset: fresh rings, as Linux allocates them again at the next probe. */
    VsockHarness reprobe() {
        guest = new VsockDriver(memory, mmio, 0x10_0000, QUEUE, RX_BUFFER);
        return up();
    }

    /** Probe, fill RX and the event queue. */
    VsockHarness up() {
        if (guest.initialize() < 0) {
            throw new AssertionError("FEATURES_OK refused");
        }
        guest.fillRx(QUEUE / 2);
        guest.fillEvents(4);
        return this;
    }

    void listen(int hostPort) {
        listening.add(hostPort);
    }

    /** Runs the device loop, then returns what reached the guest. */
    List<Packet> receive() {
        loop.runAll();
        return guest.receive();
    }

    /** A guest → host packet with the guest's generous default credit (buf_alloc 256 KiB, fwd_cnt as given). */
    static Packet fromGuest(int guestPort, int hostPort, int op, int flags, int fwdCnt, byte[] payload) {
        return Packet.fromGuest(CID, guestPort, hostPort, op, flags, 256 * 1024, fwdCnt, payload);
    }

    static Packet fromGuest(int guestPort, int hostPort, int op) {
        return fromGuest(guestPort, hostPort, op, 0, 0, new byte[0]);
    }

    void send(Packet p) {
        guest.send(p);
        loop.runAll();
    }

    RecordingPeer lastAccepted(int hostPort) {
        List<RecordingPeer> peers = accepted.get(hostPort);
        return peers == null || peers.isEmpty() ? null : peers.get(peers.size() - 1);
    }
}
