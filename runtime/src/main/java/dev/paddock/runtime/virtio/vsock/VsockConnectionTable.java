package dev.paddock.runtime.virtio.vsock;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The open streams of one device activation, keyed by (host port, guest port): the guest CID and the host CID
 * are fixed per device, so the two ports name a stream. Device event loop only.
 */
final class VsockConnectionTable {
    /** Host ports for host-initiated streams start here (well above the ports services listen on). */
    static final int FIRST_EPHEMERAL_PORT = 1 << 30;

    private final Map<Long, VsockConnection> streams = new HashMap<>();
    private final int maxStreams;
    private int nextEphemeral = FIRST_EPHEMERAL_PORT;

    VsockConnectionTable(int maxStreams) {
        this.maxStreams = maxStreams;
    }

    static long key(int hostPort, int guestPort) {
        return (hostPort & 0xFFFF_FFFFL) << 32 | (guestPort & 0xFFFF_FFFFL);
    }

    VsockConnection get(int hostPort, int guestPort) {
        return streams.get(key(hostPort, guestPort));
    }

    boolean full() {
        return streams.size() >= maxStreams;
    }

    int size() {
        return streams.size();
    }

    void add(VsockConnection c) {
        streams.put(key(c.hostPort(), c.guestPort()), c);
    }

    void remove(VsockConnection c) {
        streams.remove(key(c.hostPort(), c.guestPort()), c);
    }

    /**
     * A host port no open stream to {@code guestPort} uses, from [2^30, 2^32) round-robin. The table holds at
     * most {@code maxStreams} entries, so the search ends after at most that many steps.
     */
    int allocateHostPort(int guestPort) {
        while (true) {
            int port = nextEphemeral;
            nextEphemeral = nextEphemeral == -1 ? FIRST_EPHEMERAL_PORT : nextEphemeral + 1;
            if (!streams.containsKey(key(port, guestPort))) {
                return port;
            }
        }
    }

    /** The open streams, for diagnostics. */
    List<VsockConnection> all() {
        return new ArrayList<>(streams.values());
    }

    /** Empties the table, returning what it held (for closing them all). */
    List<VsockConnection> drain() {
        List<VsockConnection> all = new ArrayList<>(streams.values());
        streams.clear();
        return all;
    }
}
