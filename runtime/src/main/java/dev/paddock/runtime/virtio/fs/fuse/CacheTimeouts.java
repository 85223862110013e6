package dev.paddock.runtime.virtio.fs.fuse;

import java.time.Duration;

/**
 * How long the guest may trust what we tell it: entries (name to inode, and "no such name") and attributes.
 * Both bound how late the guest sees a change made on the host; docs/devices/virtio-fs.md explains the choice.
 */
public record CacheTimeouts(Duration entry, Duration attr) {
    /** One second for both: a host edit shows in the guest within a second, and the guest asks at most once a second. */
    public static final CacheTimeouts DEFAULT = new CacheTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1));
    /**
     * One hour for both, while a host watcher tells the guest about every host change through its agent
     * ({@code ShareWatcher}, guest/PROTOCOL.md §13): the guest then revalidates nothing on its own, and the hour
     * only bounds how long a change the watcher missed could stay unseen.
     */
    public static final CacheTimeouts HOST_INVALIDATED = new CacheTimeouts(Duration.ofHours(1), Duration.ofHours(1));

    public CacheTimeouts {
        if (entry.isNegative() || attr.isNegative()) {
            throw new IllegalArgumentException("cache timeouts must not be negative: entry " + entry + ", attr " + attr);
        }
    }

    long entrySeconds() {
        return entry.getSeconds();
    }

    int entryNanos() {
        return entry.getNano();
    }

    long attrSeconds() {
        return attr.getSeconds();
    }

    int attrNanos() {
        return attr.getNano();
    }
}
