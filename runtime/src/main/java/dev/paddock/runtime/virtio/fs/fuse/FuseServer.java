package dev.paddock.runtime.virtio.fs.fuse;

import static dev.paddock.runtime.virtio.fs.fuse.FuseOpcode.*;
import static dev.paddock.runtime.virtio.fs.fuse.FuseProtocol.*;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An in-process passthrough FUSE server for one host directory: it takes raw FUSE requests (the bytes a
 * virtio-fs driver puts in a request's readable buffers) and returns raw replies.
 *
 * <p>Protocol 7.31 as a Linux 6.1 guest negotiates it (see {@link FuseProtocol}); docs/devices/virtio-fs.md
 * lists the operations, the confinement rules (in {@link HostFs}) and the cache timeouts. Unknown opcodes
 * are answered ENOSYS; every request before INIT, EIO.
 *
 * <p>Thread-safe: requests may run concurrently on any number of worker threads (the kernel sends many at
 * once). Nothing here blocks on anything but the host file system.
 */
public final class FuseServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FuseServer.class.getName());

    /**
     * How many inodes and open handles one guest may hold (each is a host fd); a full handle table gives up its
     * least recently used handle ({@link HandleTable}).
     */
    public static final int MAX_INODES = 1 << 16;
    public static final int MAX_HANDLES = 1 << 14;

    private final Path root;
    private final Share share;
    /** INIT leaves FUSE_AUTO_INVAL_DATA out: the host tells the guest what changed (FsDeviceConfig#hostInvalidated). */
    private final boolean hostInvalidated;
    private final EntryOps entries;
    private final FileOps files;
    private final DirectoryOps directories;
    private volatile boolean initialized;
    private volatile boolean closed;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failedRequests = new AtomicLong();
    private final AtomicLong unknownOpcodes = new AtomicLong();
    /**
     * Requests by opcode: one slot per opcode below {@link #COUNTED_OPCODES} (Linux 6.1's highest is 51,
     * FUSE_TMPFILE), the last for any other value a guest sends.
     */
    private static final int COUNTED_OPCODES = 64;
    private final AtomicLongArray byOpcode = new AtomicLongArray(COUNTED_OPCODES + 1);

    private FuseServer(Path root, Share share, boolean hostInvalidated) {
        this.root = root;
        this.share = share;
        this.hostInvalidated = hostInvalidated;
        this.entries = new EntryOps(share);
        this.files = new FileOps(share);
        this.directories = new DirectoryOps(share);
    }

    /**
     * Serves the directory {@code root}.
     *
     * @param guestUid the guest's agent user, which the share's host owner maps to (and back)
     * @throws IOException when {@code root} is not a directory we can open (the message names it)
     */
    public static FuseServer open(Path root, boolean readOnly, int guestUid, int guestGid, CacheTimeouts timeouts)
            throws IOException {
        return open(root, readOnly, guestUid, guestGid, timeouts, false);
    }

    /**
     * As {@link #open(Path, boolean, int, int, CacheTimeouts)}; with {@code hostInvalidated} INIT leaves out
     * FUSE_AUTO_INVAL_DATA, because the host tells the guest what changed ({@code FsDeviceConfig#hostInvalidated}).
     */
    public static FuseServer open(Path root, boolean readOnly, int guestUid, int guestGid, CacheTimeouts timeouts,
                                  boolean hostInvalidated) throws IOException {
        return open(root, readOnly, guestUid, guestGid, timeouts, hostInvalidated, MAX_HANDLES);
    }

    /** As {@link #open(Path, boolean, int, int, CacheTimeouts, boolean)}, with room for {@code maxHandles} handles (tests). */
    static FuseServer open(Path root, boolean readOnly, int guestUid, int guestGid, CacheTimeouts timeouts,
                           boolean hostInvalidated, int maxHandles) throws IOException {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(timeouts, "timeouts");
        Path absolute = root.toAbsolutePath().normalize();
        int fd;
        Statx st;
        try {
            fd = HostFs.openRoot(absolute.toString());
        } catch (FsErrnoException e) {
            throw new IOException("cannot open the shared directory " + absolute + " (errno " + e.errno()
                    + "); it must be an existing directory the VMM can read");
        }
        try {
            st = HostFs.stat(fd);
        } catch (FsErrnoException e) {
            HostFs.close(fd);
            throw new IOException("cannot stat the shared directory " + absolute + " (errno " + e.errno() + ")");
        }
        try {
            // Every lookup depends on openat2 (Linux 5.6+): find out now, not at the guest's first LOOKUP.
            HostFs.close(HostFs.lookup(fd, new byte[] {'.'}));
        } catch (FsErrnoException e) {
            HostFs.close(fd);
            throw new IOException("cannot confine lookups in " + absolute + ": openat2 failed with errno " + e.errno()
                    + (e.errno() == Errno.ENOSYS ? " (the host kernel is older than Linux 5.6; virtio-fs needs openat2)" : ""));
        }
        OwnershipMap owners = new OwnershipMap(guestUid, guestGid, st.uid(), st.gid());
        boolean chownNew = HostFs.effectiveUid() == 0 && (st.uid() != 0 || st.gid() != 0);
        Share share = new Share(new InodeTable(fd, st, MAX_INODES), new HandleTable(maxHandles), owners, timeouts,
                readOnly, chownNew);
        return new FuseServer(absolute, share, hostInvalidated);
    }

    public Path root() {
        return root;
    }

    public boolean readOnly() {
        return share.readOnly;
    }

    public OwnershipMap ownership() {
        return share.owners;
    }

    /** How long the guest may trust the entries and attributes it is told from now on. */
    public CacheTimeouts cacheTimeouts() {
        return share.timeouts;
    }

    /**
     * Changes the timeouts of every later reply: {@link CacheTimeouts#HOST_INVALIDATED} once a watcher tells the
     * guest about host changes, back to {@link CacheTimeouts#DEFAULT} when it stops. What the guest was told
     * before keeps the timeout it came with.
     */
    public void cacheTimeouts(CacheTimeouts timeouts) {
        share.timeouts = Objects.requireNonNull(timeouts, "timeouts");
    }

    /** What this server changed on the host for the guest, recently: a host watcher leaves those changes out. */
    public OwnChanges ownChanges() {
        return share.own;
    }

    /**
     * Serves one request.
     *
     * @param request the request bytes, from its position to its limit (not modified)
     * @return the reply (fuse_out_header and output), or {@code null} for FORGET, BATCH_FORGET and INTERRUPT,
     *         which have none
     */
    public byte[] handle(ByteBuffer request) {
        requests.incrementAndGet();
        FuseRequest req;
        try {
            req = FuseRequest.parse(request);
        } catch (FsErrnoException e) {
            failedRequests.incrementAndGet();
            return FuseReply.error(FuseRequest.uniqueOf(request), e.errno());
        }
        // GUEST-CONTROLLED: any 32-bit opcode; those past the table share its last slot.
        byOpcode.incrementAndGet(req.opcode >= 0 && req.opcode < COUNTED_OPCODES ? req.opcode : COUNTED_OPCODES);
        if (hasNoReply(req.opcode)) {
            noReply(req);
            return null;
        }
        try {
            if (closed) {
                throw new FsErrnoException(Errno.EIO, "server closed");
            }
            if (req.opcode != INIT && !initialized) {
                throw new FsErrnoException(Errno.EIO, "request before INIT");
            }
            long ticket = changesHost(req.opcode) ? share.own.begin() : 0;
            try {
                return dispatch(req);
            } finally {
                share.own.end(ticket);
            }
        } catch (FsErrnoException e) {
            failedRequests.incrementAndGet();
            LOG.log(Level.TRACE, "FUSE opcode {0} nodeid {1}: {2}", req.opcode, Long.toUnsignedString(req.nodeId), e.getMessage());
            return FuseReply.error(req.unique, e.errno());
        } catch (RuntimeException e) {
            failedRequests.incrementAndGet();
            LOG.log(Level.ERROR, "FUSE opcode " + req.opcode + " on " + root + " failed unexpectedly; answering EIO", e);
            return FuseReply.error(req.unique, Errno.EIO);
        }
    }

    /** The requests that can change the host, whose events a watcher must not decide before their records exist. */
    private static boolean changesHost(int opcode) {
        return switch (opcode) {
            case SETATTR, SYMLINK, MKNOD, MKDIR, UNLINK, RMDIR, RENAME, RENAME2, LINK, CREATE, WRITE, FALLOCATE -> true;
            default -> false;
        };
    }

    private byte[] dispatch(FuseRequest req) throws FsErrnoException {
        return switch (req.opcode) {
            case INIT -> init(req);
            case DESTROY -> destroy(req);
            case LOOKUP -> entries.lookup(req);
            case GETATTR -> entries.getattr(req);
            case SETATTR -> entries.setattr(req);
            case READLINK -> entries.readlink(req);
            case SYMLINK -> entries.symlink(req);
            case MKNOD -> entries.mknod(req);
            case MKDIR -> entries.mkdir(req);
            case UNLINK -> entries.unlink(req, false);
            case RMDIR -> entries.unlink(req, true);
            case RENAME -> entries.rename(req, false);
            case RENAME2 -> entries.rename(req, true);
            case LINK -> entries.link(req);
            case STATFS -> entries.statfs(req);
            case ACCESS -> entries.access(req);
            // OPEN of a regular file answers ENOSYS: the guest stops sending it and RELEASE (fc->no_open), two round
            // trips saved per open(2); files are then read and written by nodeid (FileOps).
            case OPEN -> files.open(req);
            case CREATE -> files.create(req);
            case READ -> files.read(req);
            case WRITE -> files.write(req);
            // Nothing is buffered here, so FLUSH (every close(2)) has nothing to do: ENOSYS makes the guest stop
            // sending it (fc->no_flush), a round trip saved per close.
            case FLUSH -> throw new FsErrnoException(Errno.ENOSYS, "FLUSH: nothing is buffered (fc->no_flush)");
            case RELEASE -> files.release(req);
            case FSYNC -> files.fsync(req);
            case LSEEK -> files.lseek(req);
            case FALLOCATE -> files.fallocate(req);
            case OPENDIR -> directories.opendir(req);
            case READDIR -> directories.readdir(req, false);
            case READDIRPLUS -> directories.readdir(req, true);
            case RELEASEDIR -> directories.releasedir(req);
            case FSYNCDIR -> directories.fsyncdir(req);
            // Extended attributes are not shared: ENOSYS makes the guest stop asking (fuse caches it per mount).
            case GETXATTR, LISTXATTR, SETXATTR, REMOVEXATTR -> throw new FsErrnoException(Errno.ENOSYS, "xattrs are not shared");
            default -> {
                unknownOpcodes.incrementAndGet();
                throw new FsErrnoException(Errno.ENOSYS, "opcode " + req.opcode);
            }
        };
    }

    private void noReply(FuseRequest req) {
        if (!initialized || closed) {
            return;
        }
        try {
            switch (req.opcode) {
                case FORGET -> share.forget(req.nodeId, req.u64("nlookup"));
                case BATCH_FORGET -> {
                    int count = req.u32("batch count");
                    req.skip(4, "dummy");
                    // GUEST-CONTROLLED: the count cannot claim more entries than arrived.
                    long entries = Integer.toUnsignedLong(count);
                    for (long i = 0; i < entries && req.remaining() >= 16; i++) {
                        share.forget(req.u64("nodeid"), req.u64("nlookup"));
                    }
                }
                default -> {
                    // INTERRUPT: requests here are short host calls that are not interruptible; they finish.
                }
            }
        } catch (FsErrnoException e) {
            failedRequests.incrementAndGet();
            LOG.log(Level.DEBUG, "FUSE opcode {0}: {1}", req.opcode, e.getMessage());
        }
    }

    private byte[] init(FuseRequest req) throws FsErrnoException {
        int major = req.u32("init major");
        int minor = req.u32("init minor");
        int maxReadahead = req.u32("max_readahead");
        int flags = req.u32("init flags");
        if (initialized) {
            throw new FsErrnoException(Errno.EIO, "INIT twice");
        }
        // GUEST-CONTROLLED: only protocol 7 with struct sizes we parse.
        if (major != KERNEL_VERSION || minor < MIN_MINOR_VERSION) {
            throw new FsErrnoException(Errno.EPROTO, "FUSE " + major + "." + minor + "; 7." + MIN_MINOR_VERSION + "+ needed");
        }
        // Not ATOMIC_O_TRUNC: with it the guest leaves O_TRUNC to OPEN, which it no longer sends (fc->no_open), and
        // the truncation would be lost; without it the guest's VFS sends SETATTR(size 0) for O_TRUNC.
        // AUTO_INVAL_DATA only where the host does not tell the guest what changed: with it every attribute reply
        // with a new mtime drops the file's cached pages, and after the guest's own write the next GETATTR always
        // brings one, so a file the guest writes and then reads (an object file, then the linker) is read back
        // from the host, each read asking for attributes first: a third of a build's round trips. Without it a
        // new size still drops the pages; a host edit that keeps the size is dropped by the guest's agent
        // (FS_INVALIDATE, guest/PROTOCOL.md §13).
        int offered = ASYNC_READ | BIG_WRITES | (hostInvalidated ? 0 : AUTO_INVAL_DATA) | DO_READDIRPLUS | READDIRPLUS_AUTO
                | PARALLEL_DIROPS | MAX_PAGES_FLAG | CACHE_SYMLINKS;
        FuseReply r = new FuseReply(INIT_OUT_BYTES);
        r.u32(KERNEL_VERSION).u32(Math.min(minor, KERNEL_MINOR_VERSION)).u32(maxReadahead).u32(flags & offered)
                .u16(64).u16(48) // max_background, congestion_threshold
                .u32(MAX_IO_BYTES).u32(1) // max_write, time_gran (ns)
                .u16(MAX_PAGES).u16(0) // max_pages, map_alignment
                .zeros(32);
        initialized = true;
        return r.finish(req.unique);
    }

    private byte[] destroy(FuseRequest req) {
        share.handles.closeAll();
        share.inodes.forgetAll();
        initialized = false;
        return FuseReply.empty().finish(req.unique);
    }

    /** Guest-held inodes, the root included. */
    public int inodeCount() {
        return share.inodes.size();
    }

    public int handleCount() {
        return share.handles.size();
    }

    public long requests() {
        return requests.get();
    }

    public long failedRequests() {
        return failedRequests.get();
    }

    public long unknownOpcodes() {
        return unknownOpcodes.get();
    }

    /**
     * How many requests of each kind arrived since the server opened (failed ones included; requests whose header
     * could not be read are only in {@link #failedRequests}): fuse.h's name without FUSE_ (see
     * {@link FuseOpcode#name}), or {@code OTHER} for opcodes of 64 and more, to the count, in opcode order, only
     * kinds seen. A snapshot: each count is read once, not all at one instant.
     */
    public Map<String, Long> requestCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (int op = 0; op <= COUNTED_OPCODES; op++) {
            long n = byOpcode.get(op);
            if (n != 0) {
                counts.put(op == COUNTED_OPCODES ? "OTHER" : FuseOpcode.name(op), n);
            }
        }
        return Collections.unmodifiableMap(counts);
    }

    /** Forgets what the guest held (a device reset: the next driver starts with INIT). */
    public void reset() {
        share.handles.closeAll();
        share.inodes.forgetAll();
        initialized = false;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        share.handles.closeAll();
        share.inodes.closeAll();
    }
}
