package dev.paddock.runtime.virtio.fs.fuse;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What the FUSE server changed on the host for the guest, so that a host watcher ({@code ShareWatcher}) can leave
 * those changes out: the guest's kernel already knows about its own creates, writes and renames, and telling it
 * again would drop the very caches that make the share fast.
 *
 * <p>Each record says what the server left behind, and an event is the server's own only while the host still
 * looks that way, so a host change that comes after the server's is never taken for it, however late the watcher
 * gets to the events (under load it can be seconds):
 * <ul>
 *   <li>a <em>name</em> in a directory (by the directory's identity and the name): the inode number it now names,
 *       or {@link #ABSENT};</li>
 *   <li>a <em>node</em> whose content or attributes the server changed (by identity): its ctime afterwards, which
 *       any later change moves on.</li>
 * </ul>
 * Records are made right after the operation. So that the watcher never decides an event before the record of the
 * operation behind it is in place (on a loaded host a worker can be descheduled between the two for longer than
 * the watcher gathers events, and one such event used to make the guest drop every cached entry), every operation
 * that changes the host is bracketed by {@link #begin()} and {@link #end(long)}, and the watcher first
 * {@linkplain #awaitSettled waits} for the operations that began before it looked. The one gap: a host change within the same tick of the host's file-system clock
 * as the server's (a few ms), which leaves the ctime as the server saw it. Records expire after
 * {@link #WINDOW_NANOS}.
 *
 * <p>Recording costs an fstat per write, so it happens only while a watcher is {@linkplain #watching(boolean)
 * watching}. Thread-safe: the server's workers record, the watcher's thread asks.
 */
public final class OwnChanges {
    /** How long a record is kept: far longer than any watcher lag, since a record only matches an unchanged state. */
    public static final long WINDOW_NANOS = 60_000_000_000L;
    /** Above this many records the expired ones are swept; if all are live the table is cleared (then nothing is left out). */
    static final int MAX_RECORDS = 1 << 16;
    /** A name's state: it names nothing. */
    public static final long ABSENT = -1;
    /** A name's or node's state: anything (an operation in progress, or a state the server does not know exactly). */
    public static final long ANY = Long.MIN_VALUE;

    private record Key(long dev, long ino, String name) {
    }

    private record State(long value, long until) {
    }

    private final ConcurrentHashMap<Key, State> records = new ConcurrentHashMap<>();
    /** Tickets of the operations under way that change the host ({@link #begin}), and the last one handed out. */
    private final ConcurrentSkipListSet<Long> inFlight = new ConcurrentSkipListSet<>();
    private final AtomicLong tickets = new AtomicLong();
    private final Object settled = new Object();
    private final LongSupplier clock;
    private volatile boolean watching;

    public OwnChanges() {
        this(System::nanoTime);
    }

    OwnChanges(LongSupplier clock) {
        this.clock = clock;
    }

    /** Starts or stops recording (a watcher starts or stops); stopping forgets every record. */
    public void watching(boolean on) {
        watching = on;
        if (!on) {
            records.clear();
        }
    }

    boolean watching() {
        return watching;
    }

    /** The server has changed {@code name} in directory {@code dir}: it names {@code ino} now (or {@link #ABSENT}). */
    void name(Inode dir, byte[] name, long ino) {
        if (watching) {
            put(new Key(dir.dev, dir.ino, new String(name, StandardCharsets.UTF_8)), ino);
        }
    }

    /** The server has changed the inode {@code (dev, ino)}: its ctime is {@code ctime} now. */
    void node(long dev, long ino, long ctime) {
        if (watching) {
            put(new Key(dev, ino, null), ctime);
        }
    }

    /**
     * An operation that changes the host begins (before its syscall, so before any event it causes): returns its
     * ticket for {@link #end}, or 0 while nobody watches.
     */
    long begin() {
        if (!watching) {
            return 0;
        }
        long ticket = tickets.incrementAndGet();
        inFlight.add(ticket);
        return ticket;
    }

    /** The operation {@code ticket} is done, its records made (0: begun while nobody watched, nothing to do). */
    void end(long ticket) {
        if (ticket != 0) {
            inFlight.remove(ticket);
            synchronized (settled) {
                settled.notifyAll();
            }
        }
    }

    /**
     * Waits until every operation that began before this call has ended and so made its records: a watcher calls it
     * after gathering events and before deciding whose they are. Operations beginning meanwhile are not waited for.
     *
     * @return false when {@code timeoutMs} passed first (the events are then decided as they are: at worst a
     *         needless refresh)
     */
    public boolean awaitSettled(long timeoutMs) throws InterruptedException {
        long upTo = tickets.get();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        synchronized (settled) {
            while (true) {
                Long oldest = inFlight.ceiling(Long.MIN_VALUE);
                if (oldest == null || oldest > upTo) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                settled.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    /** A ctime as one number (nanoseconds since the epoch), as {@link #isOwnNode} compares it. */
    static long ctime(Statx st) {
        return st.ctimeSec() * 1_000_000_000L + st.ctimeNsec();
    }

    private void put(Key key, long value) {
        long now = clock.getAsLong();
        if (records.size() >= MAX_RECORDS) {
            records.values().removeIf(s -> s.until - now < 0);
            if (records.size() >= MAX_RECORDS) {
                records.clear();
            }
        }
        records.put(key, new State(value, now + WINDOW_NANOS));
    }

    /**
     * Whether the server itself left {@code name} in directory {@code (dev, dirIno)} as it is now.
     *
     * @param ino what the name names now ({@link #ABSENT} if nothing)
     */
    public boolean isOwnName(long dev, long dirIno, String name, long ino) {
        return matches(new Key(dev, dirIno, name), ino);
    }

    /**
     * Whether the server itself left inode {@code (dev, ino)} as it is now.
     *
     * @param ctime its ctime now, in nanoseconds since the epoch
     */
    public boolean isOwnNode(long dev, long ino, long ctime) {
        return matches(new Key(dev, ino, null), ctime);
    }

    private boolean matches(Key key, long now) {
        State s = records.get(key);
        return s != null && s.until - clock.getAsLong() >= 0 && s.value == now;
    }

    int size() {
        return records.size();
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
