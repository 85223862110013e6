package dev.paddock.daemon.driver.microvm;

import java.util.BitSet;

/**
 * Hands out guest CIDs: each running sandbox gets the lowest one free, from 3 up (0, 1 and 2 are reserved, 2
 * being the host; virtio-vsock spec 5.10.4). A CID only has to be unique per device, since every VM has its own
 * device and host side, but distinct CIDs keep logs and a future shared vhost-vsock unambiguous. Thread-safe.
 */
final class GuestCids {
    static final int FIRST = 3;
    private final BitSet used = new BitSet();

    synchronized long take() {
        int cid = used.nextClearBit(FIRST);
        used.set(cid);
        return cid;
    }

    synchronized void release(long cid) {
        used.clear((int) cid);
    }
}
