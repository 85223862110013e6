package dev.paddock.runtime.virtio.fs.fuse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Open files the guest holds by FUSE fh. Handles come from a counter and are never reused;
 * each remembers the nodeid it was opened for, and a request naming another nodeid is refused (EBADF), so a
 * guest cannot use one inode's open fd against another. As with inodes, a request holds its handle through
 * {@link #use}, and a RELEASE racing it closes the fd only after the request is done.
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
        int users;
        boolean released;

        Handle(long fh, Inode inode, int fd) {
            this.fh = fh;
            this.nodeId = inode.id;
            this.dev = inode.dev;
            this.ino = inode.ino;
            this.fd = fd;
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

    private final Map<Long, Handle> handles = new HashMap<>();
    private long next = 1;
    private final int maxHandles;

    HandleTable(int maxHandles) {
        this.maxHandles = maxHandles;
    }

    /** Registers {@code fd}; on failure (too many handles) closes it. */
    long add(Inode inode, int fd) throws FsErrnoException {
        synchronized (this) {
            // GUEST-CONTROLLED: a guest that never releases would pin host fds without end.
            if (handles.size() < maxHandles) {
                Handle h = new Handle(next++, inode, fd);
                handles.put(h.fh, h);
                return h.fh;
            }
        }
        HostFs.close(fd);
        throw new FsErrnoException(Errno.ENFILE, "the guest holds " + maxHandles + " open handles already");
    }

    /**
     * Holds the handle {@code fh} opened for {@code nodeId}, of the right kind, for one request.
     *
     * @throws FsErrnoException EBADF for an unknown fh or one of another inode
     */
    synchronized Use use(long fh, long nodeId) throws FsErrnoException {
        Handle h = find(fh, nodeId);
        h.users++;
        return new Use(h);
    }

    private Handle find(long fh, long nodeId) throws FsErrnoException {
        // GUEST-CONTROLLED: fh and nodeid are both guest values; they must match what we handed out.
        Handle h = handles.get(fh);
        if (h == null || h.nodeId != nodeId) {
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

    /** Forgets handle {@code fh} of {@code nodeId}; its fd closes when no request uses it any more. */
    void remove(long fh, long nodeId) throws FsErrnoException {
        int toClose;
        synchronized (this) {
            Handle h = find(fh, nodeId);
            handles.remove(fh);
            h.released = true;
            if (h.users > 0) {
                return; // the last Use closes it
            }
            toClose = h.fd;
        }
        HostFs.close(toClose);
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
        }
        fds.forEach(HostFs::close);
    }
}
