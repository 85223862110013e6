package dev.paddock.runtime.virtio.fs;

import dev.paddock.runtime.virtio.fs.fuse.OwnChanges;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Watches a shared directory on the host and tells the guest, through an {@link Invalidator} (the sandbox's agent,
 * guest/PROTOCOL.md §13), which paths changed, so that the guest may keep entries and attributes cached for long
 * ({@link dev.paddock.runtime.virtio.fs.fuse.CacheTimeouts#HOST_INVALIDATED}) and still see a host edit within a
 * second. Linux 6.1's virtiofs has no notification queue, so this is the only way to reach the guest's caches.
 *
 * <p>inotify (the JDK's {@link WatchService}) on every directory of the share. Changes the share's own FUSE server
 * made for the guest are left out ({@link OwnChanges}). Events are gathered for {@value #GATHER_MS} ms and sent as
 * one batch; the next batch waits for the previous one's answer. A batch with a created, removed or renamed name
 * asks the guest to drop its unused dentries; one with more than {@value #MAX_PATHS} paths, or after the kernel's
 * event queue overflowed, becomes "everything": drop the dentries, refresh every open file, refresh the root.
 *
 * <p>One platform thread per share, named after it. When an invalidation fails or times out the watcher stops and
 * tells its {@code onStop} (the owner then goes back to short timeouts): a guest that cannot be told must revalidate.
 */
public final class ShareWatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ShareWatcher.class.getName());

    /** How long events are gathered into one batch after the first. */
    static final long GATHER_MS = 20;
    /** A batch never waits longer than this for quiet, so a steady stream of changes still goes out. */
    static final long MAX_GATHER_MS = 200;
    /** How long a batch waits, at most, for the server's operations under way to record themselves. */
    static final long SETTLE_MS = 2_000;
    /** Paths per batch (PROTOCOL.md §13's bound); beyond it the batch asks for everything. */
    public static final int MAX_PATHS = 256;
    /** How long the guest may take to answer one batch before the watcher gives up. */
    static final long INVALIDATE_TIMEOUT_S = 60;

    /**
     * One batch of host changes.
     *
     * @param paths    host paths (= guest paths: a share is mounted at its host path) whose attributes to refresh
     * @param names    names were created, removed or renamed: the guest drops its unused cached dentries
     * @param everything events were lost (queue overflow, too many): also refresh every file the guest holds open
     */
    public record Changes(Set<Path> paths, boolean names, boolean everything) {
        public Changes {
            paths = Set.copyOf(paths);
        }
    }

    /** Where a batch goes; the stage completes once the guest has applied it. Called on the watcher's thread. */
    @FunctionalInterface
    public interface Invalidator {
        CompletionStage<?> invalidate(Changes changes);
    }

    private record Dir(Path path, long dev, long ino) {
    }

    private final Path root;
    private final OwnChanges own;
    private final Invalidator invalidator;
    private final Consumer<Throwable> onStop;
    private final WatchService service;
    private final Map<WatchKey, Dir> dirs = new HashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    /** Set when a directory could not be watched: the watcher sends what it has, then stops. */
    private IOException unwatchable;
    private volatile long batches;
    private volatile long leftOut;
    private volatile long unsettled;
    private volatile long namesBatches;

    private ShareWatcher(Path root, OwnChanges own, Invalidator invalidator, Consumer<Throwable> onStop,
                         WatchService service) {
        this.root = root;
        this.own = own;
        this.invalidator = invalidator;
        this.onStop = onStop;
        this.service = service;
        this.thread = new Thread(this::run, "paddock-fs-watch " + root);
        this.thread.setDaemon(true);
    }

    /**
     * Watches every directory under {@code root} (blocking: a walk of the whole tree) and starts the thread.
     *
     * @param onStop told once, with the cause, when the watcher stops on its own (not after {@link #close})
     * @throws IOException when the tree cannot be watched, for example past the host's
     *                     {@code fs.inotify.max_user_watches} (the message says so)
     */
    public static ShareWatcher start(Path root, OwnChanges own, Invalidator invalidator, Consumer<Throwable> onStop)
            throws IOException {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(own, "own");
        Objects.requireNonNull(invalidator, "invalidator");
        Objects.requireNonNull(onStop, "onStop");
        String type = Files.getFileStore(root).type();
        if (!locallyWatchable(type)) {
            throw new IOException("the shared directory " + root + " is on a " + type + " file system, where inotify does"
                    + " not see changes made from elsewhere; the guest keeps revalidating on its own");
        }
        WatchService service = root.getFileSystem().newWatchService();
        ShareWatcher watcher = new ShareWatcher(root.toAbsolutePath().normalize(), own, invalidator, onStop, service);
        try {
            watcher.registerTree(watcher.root);
        } catch (IOException | RuntimeException e) {
            service.close();
            throw new IOException("cannot watch the shared directory " + watcher.root + " for host changes ("
                    + e.getMessage() + "); a large tree may need a higher fs.inotify.max_user_watches", e);
        }
        own.watching(true);
        watcher.thread.start();
        return watcher;
    }

    /**
     * Whether inotify on a file system of this type ({@code /proc/mounts}' type) sees every change: not on network
     * and FUSE file systems, where another machine or process can change files behind the local kernel's back.
     */
    /**
     * Whether a watcher could be started on {@code root} as far as its file system goes ({@link #locallyWatchable});
     * false when the file system cannot be told. The inotify limits are checked only by {@link #start}.
     */
    public static boolean canWatch(Path root) {
        try {
            return locallyWatchable(Files.getFileStore(root).type());
        } catch (IOException e) {
            return false;
        }
    }

    static boolean locallyWatchable(String type) {
        return !(type.equals("9p") || type.startsWith("nfs") || type.equals("cifs") || type.startsWith("smb")
                || type.startsWith("fuse") || type.equals("virtiofs") || type.equals("ceph") || type.equals("afs")
                || type.equals("glusterfs") || type.equals("lustre"));
    }

    public Path root() {
        return root;
    }

    /** Directories watched now. */
    public synchronized int watchedDirectories() {
        return dirs.size();
    }

    /** Batches sent to the guest so far. */
    public long batches() {
        return batches;
    }

    /** Batches sent that told the guest of changed names (so made it drop its unused cached entries). */
    public long namesBatches() {
        return namesBatches;
    }

    /** Batches decided before the server's operations under way had all recorded themselves ({@link #SETTLE_MS}). */
    public long unsettled() {
        return unsettled;
    }

    /** Events left out because the share's own server caused them. */
    public long leftOut() {
        return leftOut;
    }

    private void registerTree(Path top) throws IOException {
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                try {
                    register(dir);
                } catch (NoSuchFileException | NotDirectoryException e) {
                    // removed (or replaced by a file) since the walk read it: its delete event comes
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // gone since its parent was read: its delete event comes
                }
                throw e;
            }
        });
    }

    private void register(Path dir) throws IOException {
        Map<String, Object> a = Files.readAttributes(dir, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
        WatchKey key = dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                StandardWatchEventKinds.ENTRY_MODIFY);
        synchronized (this) {
            // A renamed directory keeps its key (same inode): its path here is updated.
            dirs.put(key, new Dir(dir, OwnChanges.statxDev((Long) a.get("dev")), (Long) a.get("ino")));
        }
    }

    private void run() {
        Throwable failure = null;
        try {
            while (!closed) {
                WatchKey first = service.take();
                Batch batch = new Batch();
                take(first, batch);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_GATHER_MS);
                WatchKey next;
                boolean quiet = false;
                while (!quiet && System.nanoTime() < deadline) {
                    next = service.poll(GATHER_MS, TimeUnit.MILLISECONDS);
                    if (next == null) {
                        quiet = true;
                    } else {
                        take(next, batch);
                    }
                }
                // The server records its own change right after the syscall that the event reports: wait for every
                // operation under way to have done so (bounded), then decide.
                if (!own.awaitSettled(SETTLE_MS)) {
                    unsettled++;
                }
                batch.decide(this);
                if (batch.isEmpty()) {
                    continue;
                }
                Changes changes = batch.changes(root);
                invalidator.invalidate(changes).toCompletableFuture().get(INVALIDATE_TIMEOUT_S, TimeUnit.SECONDS);
                batches++;
                if (changes.names()) {
                    namesBatches++;
                }
                if (unwatchable != null) {
                    throw unwatchable;
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException e) {
            // closed
        } catch (Throwable e) {
            failure = e;
        }
        if (!closed) {
            Throwable cause = failure != null ? failure : new IllegalStateException("the watch service ended");
            LOG.log(Level.WARNING, "stopped watching " + root + " for host changes; the guest revalidates on its own now", cause);
            closeQuietly();
            onStop.accept(cause);
        }
    }

    /** An event as read: whose it was is decided when the batch is complete ({@link Batch#decide}). */
    private record Event(Dir dir, String name, Path path, WatchEvent.Kind<?> kind) {
    }

    /** What one batch gathered. */
    private static final class Batch {
        final java.util.List<Event> events = new java.util.ArrayList<>();
        final Set<Path> paths = new LinkedHashSet<>();
        boolean names;
        boolean everything;

        void decide(ShareWatcher w) throws InterruptedException {
            for (Event e : events) {
                if (e.kind == StandardWatchEventKinds.ENTRY_MODIFY) {
                    w.onModify(e.path, this);
                } else {
                    w.onName(e.dir, e.name, e.path, this);
                }
            }
            events.clear();
        }

        boolean isEmpty() {
            return paths.isEmpty() && !names && !everything;
        }

        Changes changes(Path root) {
            if (everything || paths.size() > MAX_PATHS) {
                return new Changes(Set.of(root), true, true);
            }
            return new Changes(paths, names, false);
        }
    }

    private void take(WatchKey key, Batch batch) {
        Dir dir;
        synchronized (this) {
            dir = dirs.get(key);
        }
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
                batch.everything = true;
                rescan();
                continue;
            }
            if (dir == null) {
                continue;
            }
            Path name = (Path) event.context();
            Path path = dir.path.resolve(name);
            if (event.kind() == StandardWatchEventKinds.ENTRY_CREATE && Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
                // Watched at once, whoever made it (a directory the guest makes needs watching for the host's later
                // changes), so no event inside it is missed; a directory renamed here keeps its key under its new path.
                try {
                    registerTree(path);
                } catch (IOException e) {
                    // GUEST-CONTROLLED: a guest can make directories until the host's inotify watches run out. Then
                    // the share cannot be watched whole: tell the guest to drop everything, and stop (short timeouts).
                    batch.everything = true;
                    unwatchable = new IOException("cannot watch " + path + " (" + e.getMessage() + ")", e);
                }
            }
            batch.events.add(new Event(dir, name.toString(), path, event.kind()));
        }
        if (!key.reset()) {
            synchronized (this) {
                dirs.remove(key); // the directory is gone
            }
        }
    }

    private void onModify(Path path, Batch batch) throws InterruptedException {
        // Twice at most: an operation of the server that began after the batch settled may have moved the state on
        // since (its own record then says so once it ends).
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino,ctime", LinkOption.NOFOLLOW_LINKS);
                long ctime = ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS);
                if (own.isOwnNode(OwnChanges.statxDev((Long) a.get("dev")), (Long) a.get("ino"), ctime)) {
                    leftOut++;
                    return;
                }
            } catch (IOException e) {
                return; // gone already: its delete event follows, and says whose it was
            }
            if (attempt == 0) {
                settleAgain();
            }
        }
        batch.paths.add(path);
    }

    private void onName(Dir dir, String name, Path path, Batch batch) throws InterruptedException {
        for (int attempt = 0; attempt < 2; attempt++) {
            long ino = OwnChanges.ABSENT;
            try {
                ino = (Long) Files.getAttribute(path, "unix:ino", LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                // absent now
            }
            if (own.isOwnName(dir.dev, dir.ino, name, ino)) {
                leftOut++;
                return;
            }
            if (attempt == 0) {
                settleAgain();
            }
        }
        batch.names = true;
        batch.paths.add(path);
        batch.paths.add(dir.path);
    }

    /**
     * Before the second look at a state that did not match: waits for the server's operations under way, if any
     * (one that ended just now may have left both the state and its record, so the second look is always taken).
     */
    private void settleAgain() throws InterruptedException {
        own.awaitSettled(SETTLE_MS);
    }

    /** After lost events: watch any directory made meanwhile, and drop keys of ones that went. */
    private void rescan() {
        try {
            registerTree(root);
        } catch (IOException e) {
            unwatchable = new IOException("rescanning " + root + " after lost events failed (" + e.getMessage() + ")", e);
        }
    }

    private void closeQuietly() {
        closed = true;
        own.watching(false);
        try {
            service.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "closing the watch service of " + root, e);
        }
    }

    /** Stops watching; {@code onStop} is not told. Waits briefly for the thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closeQuietly();
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean isRunning() {
        return thread.isAlive() && !closed;
    }
}
