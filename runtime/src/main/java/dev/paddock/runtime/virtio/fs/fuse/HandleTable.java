package dev.paddock.runtime.virtio.fs.fuse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Open files the guest holds by FUSE fh: CREATE's (OPEN answers ENOSYS, see {@link FileOps}). Handles come from a
 * counter and are never reused; each remembers the nodeid it was opened for, and a request naming another nodeid is
 * refused (EBADF), so a guest cannot use one inode's open fd against another. As with inodes, a request holds its
 * handle through {@link #use}, and a close racing it closes the fd only after the request is done.
 *
 * <p>A guest that stopped sending OPEN (fc->no_open) sends no RELEASE either, not even for CREATE's handles, so
 * handles are reclaimed here: all of an inode's go when the guest forgets the inode ({@link #closeNode}), and a full
 * table gives up its least recently used handle that no request holds. A request naming a handle that is gone works
 * on the inode itself ({@link FileIo}), which costs the guest nothing but, for a file it could only write through
 * the fd it created it with (a 0444 object file, with a server that is not root), that write.
 */
final class HandleTable {
    /** An open host fd (directories have none: DirectoryOps reads them without handles). */
    static final class Handle {
        final long fh;
        final long nodeId;
        /** The inode's host identity, for {@link OwnChanges}. */
        final long dev;
        final long ino;
        final int fd;
        /** The host open flags of {@link #fd} (access mode, O_APPEND, O_SYNC): which requests it can serve. */
        final int flags;
        int users;
        boolean released;

        Handle(long fh, Inode inode, int fd, int flags) {
            this.fh = fh;
            this.nodeId = inode.id;
            this.dev = inode.dev;
            this.ino = inode.ino;
            this.fd = fd;
            this.flags = flags;
        }
    }

    /** One request's hold on a handle. */
    final class Use implements AutoCloseable {
        final Handle handle;
        private boolean closed;

        private Use(Handle handle) {
            this.handle = handle;
        }

        int fd() {
            return handle.fd;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                release(handle);
            }
        }
    }

    /** Live handles by fh, least recently used first (access order): a full table gives up from the front. */
    private final LinkedHashMap<Long, Handle> handles = new LinkedHashMap<>(16, 0.75f, true);
    /** Live handles by nodeid, for {@link #closeNode}. */
    private final Map<Long, List<Handle>> byNode = new HashMap<>();
    private long next = 1;
    private final int maxHandles;

    HandleTable(int maxHandles) {
        this.maxHandles = maxHandles;
    }

    /**
     * Registers {@code fd}, open with host {@code flags}, for {@code inode}; a full table first closes its least
     * recently used handle that no request holds. On failure (every handle in use) closes {@code fd}.
     */
    long add(Inode inode, int fd, int flags) throws FsErrnoException {
        Handle evicted = null;
        long fh = 0;
        synchronized (this) {
            // GUEST-CONTROLLED: a guest that never releases (none does without OPEN) would pin host fds without end.
            if (handles.size() >= maxHandles) {
                evicted = leastRecentlyUsedIdle();
                if (evicted != null) {
                    detach(evicted);
                }
            }
            if (handles.size() < maxHandles) {
                Handle h = new Handle(next++, inode, fd, flags);
                handles.put(h.fh, h);
                byNode.computeIfAbsent(h.nodeId, id -> new ArrayList<>(1)).add(h);
                fh = h.fh;
            }
        }
        if (evicted != null) {
            HostFs.close(evicted.fd);
        }
        if (fh == 0) {
            HostFs.close(fd);
            throw new FsErrnoException(Errno.ENFILE, "all " + maxHandles + " open handles are in use by requests");
        }
        return fh;
    }

    private Handle leastRecentlyUsedIdle() {
        for (Handle h : handles.values()) {
            if (h.users == 0) {
                return h;
            }
        }
        return null;
    }

    /** Takes {@code h} out of the table; its fd is the caller's to close unless a request still uses it. */
    private void detach(Handle h) {
        handles.remove(h.fh);
        List<Handle> ofNode = byNode.get(h.nodeId);
        if (ofNode != null) {
            ofNode.remove(h);
            if (ofNode.isEmpty()) {
                byNode.remove(h.nodeId);
            }
        }
        h.released = true;
    }

    /**
     * Holds the handle {@code fh} opened for {@code nodeId}, for one request.
     *
     * @return null when {@code fh} names no open handle: 0 (the guest opened without OPEN), or one released,
     *         given up by a full table, or closed with its inode; the request then works on the inode itself
     * @throws FsErrnoException EBADF for an fh of another inode, or one never handed out
     */
    synchronized Use use(long fh, long nodeId) throws FsErrnoException {
        Handle h = find(fh, nodeId);
        if (h == null) {
            return null;
        }
        h.users++;
        return new Use(h);
    }

    private Handle find(long fh, long nodeId) throws FsErrnoException {
        if (fh == 0) {
            return null;
        }
        // GUEST-CONTROLLED: fh and nodeid are both guest values; a live fh must be the nodeid's. One that is gone
        // named this nodeid or another; either way the request gets no more than fh 0 gives it, its own inode.
        if (Long.compareUnsigned(fh, next) >= 0) {
            throw new FsErrnoException(Errno.EBADF, "fh " + Long.toUnsignedString(fh) + " was never handed out");
        }
        Handle h = handles.get(fh);
        if (h != null && h.nodeId != nodeId) {
            throw new FsErrnoException(Errno.EBADF, "fh " + Long.toUnsignedString(fh) + " is not an open "
                    + "file of nodeid " + Long.toUnsignedString(nodeId));
        }
        return h;
    }

    private void release(Handle h) {
        synchronized (this) {
            h.users--;
            if (!h.released || h.users > 0) {
                return;
            }
        }
        HostFs.close(h.fd);
    }

    /**
     * RELEASE: forgets handle {@code fh} of {@code nodeId}; its fd closes when no request uses it any more. An fh
     * already gone (see {@link #use}) has nothing left to release.
     */
    void remove(long fh, long nodeId) throws FsErrnoException {
        int toClose;
        synchronized (this) {
            Handle h = find(fh, nodeId);
            if (h == null) {
                return;
            }
            detach(h);
            if (h.users > 0) {
                return; // the last Use closes it
            }
            toClose = h.fd;
        }
        HostFs.close(toClose);
    }

    /** Closes every handle of {@code nodeId} (the guest forgot the inode, so no open file of it is left). */
    void closeNode(long nodeId) {
        List<Integer> fds = new ArrayList<>();
        synchronized (this) {
            List<Handle> ofNode = byNode.get(nodeId);
            if (ofNode == null) {
                return;
            }
            for (Handle h : new ArrayList<>(ofNode)) {
                detach(h);
                if (h.users == 0) {
                    fds.add(h.fd);
                }
            }
        }
        fds.forEach(HostFs::close);
    }

    synchronized int size() {
        return handles.size();
    }

    void closeAll() {
        List<Integer> fds = new ArrayList<>();
        synchronized (this) {
            for (Handle h : handles.values()) {
                h.released = true;
                if (h.users == 0) {
                    fds.add(h.fd);
                }
            }
            handles.clear();
            byNode.clear();
        }
        fds.forEach(HostFs::close);
    }
}
