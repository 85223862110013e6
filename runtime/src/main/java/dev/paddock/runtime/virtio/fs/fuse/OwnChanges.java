package dev.paddock.runtime.virtio.fs.fuse;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * What the FUSE server changed on the host for the guest, for a short while afterwards, so that a host watcher
 * ({@code ShareWatcher}) can leave those changes out: the guest's kernel already knows about its own creates,
 * writes and renames, and telling it again would drop the very caches that make the share fast.
 *
 * <p>Two kinds of record, each by host identity (device as {@code major << 32 | minor}, as {@link Statx} gives
 * it, and inode number): a <em>name</em> created, removed or renamed in a directory, and a <em>node</em> whose
 * content or attributes changed. A record matches for {@link #WINDOW_NANOS} after the operation. The price is a
 * race: a host edit of the same name or inode within that window is left out too (docs/devices/virtio-fs.md).
 *
 * <p>Thread-safe; the server's workers record, the watcher's thread asks.
 */
public final class OwnChanges {
    /** How long an operation's record matches: inotify events arrive well within this, even in the helper VM. */
    public static final long WINDOW_NANOS = 2_000_000_000L;
    /** Above this many records the expired ones are swept; if all are live the table is cleared (then nothing is left out). */
    static final int MAX_RECORDS = 1 << 16;

    private record Key(long dev, long ino, String name) {
    }

    private final ConcurrentHashMap<Key, Long> until = new ConcurrentHashMap<>();
    private final LongSupplier clock;

    public OwnChanges() {
        this(System::nanoTime);
    }

    OwnChanges(LongSupplier clock) {
        this.clock = clock;
    }

    /** The server created, removed or renamed {@code name} in the directory {@code dir}. */
    void name(Inode dir, byte[] name) {
        put(new Key(dir.dev, dir.ino, new String(name, StandardCharsets.UTF_8)));
    }

    /** The server changed the content or attributes of the inode {@code (dev, ino)}. */
    void node(long dev, long ino) {
        put(new Key(dev, ino, null));
    }

    void node(Inode inode) {
        node(inode.dev, inode.ino);
    }

    private void put(Key key) {
        long now = clock.getAsLong();
        if (until.size() >= MAX_RECORDS) {
            until.values().removeIf(t -> t - now < 0);
            if (until.size() >= MAX_RECORDS) {
                until.clear();
            }
        }
        until.put(key, now + WINDOW_NANOS);
    }

    /** Whether the server itself just created, removed or renamed {@code name} in directory {@code (dev, dirIno)}. */
    public boolean isOwnName(long dev, long dirIno, String name) {
        return live(new Key(dev, dirIno, name));
    }

    /** Whether the server itself just changed inode {@code (dev, ino)}. */
    public boolean isOwnNode(long dev, long ino) {
        return live(new Key(dev, ino, null));
    }

    private boolean live(Key key) {
        Long t = until.get(key);
        return t != null && t - clock.getAsLong() >= 0;
    }

    int size() {
        return until.size();
    }

    /**
     * A device number as {@code stat(2)} reports it ({@code st_dev}, the kernel's new_encode_dev, as Java's
     * {@code unix:dev} attribute gives it) turned into {@link Statx}'s {@code major << 32 | minor}.
     */
    public static long statxDev(long stDev) {
        long major = ((stDev >>> 8) & 0xfffL) | ((stDev >>> 32) & ~0xfffL);
        long minor = (stDev & 0xffL) | ((stDev >>> 12) & ~0xffL);
        return (major & 0xffffffffL) << 32 | (minor & 0xffffffffL);
    }
}
