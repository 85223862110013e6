package dev.paddock.runtime.virtio.fs.fuse;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The inodes the guest holds, by nodeid and by host identity (dev, ino), with their lookup counts (FUSE's
 * "nlookup": each entry reply adds one, FORGET takes some away; at zero the inode goes).
 *
 * <p>Nodeids come from a counter and are never reused, so a forged or stale nodeid names nothing rather than
 * someone else's inode. The root (nodeid 1) is never forgotten. A request holds the inodes it works on through
 * {@link #use}: an inode forgotten meanwhile (a hostile guest racing FORGET against its own requests) keeps its
 * fd open until the last user is done, so a request never runs on an fd number the host has reused.
 * Thread-safe: one monitor, held only for map work, never across a syscall other than close.
 */
final class InodeTable {
    private record Key(long dev, long ino) {
    }

    /** One request's hold on an inode; closing it lets a forgotten inode's fd go. */
    final class Use implements AutoCloseable {
        final Inode inode;
        private boolean closed;

        private Use(Inode inode) {
            this.inode = inode;
        }

        int fd() {
            return inode.fd;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                release(inode);
            }
        }
    }

    private final Map<Long, Inode> byId = new HashMap<>();
    private final Map<Key, Inode> byKey = new HashMap<>();
    private final Inode root;
    private long nextId = FuseProtocol.ROOT_ID + 1;
    private final int maxInodes;

    /** @param maxInodes how many inodes (so host fds) the guest may hold at once */
    InodeTable(int rootFd, Statx rootStat, int maxInodes) {
        this.maxInodes = maxInodes;
        root = new Inode(FuseProtocol.ROOT_ID, rootFd, rootStat.dev(), rootStat.ino(), rootStat.type());
        root.lookups = 1;
        byId.put(root.id, root);
        byKey.put(new Key(root.dev, root.ino), root);
    }

    /**
     * Holds the inode named by a guest's nodeid for one request.
     *
     * @throws FsErrnoException EBADF for a nodeid we never gave out or the guest already forgot
     */
    synchronized Use use(long nodeId) throws FsErrnoException {
        // GUEST-CONTROLLED: any 64-bit value may arrive; only live ids resolve.
        Inode inode = byId.get(nodeId);
        if (inode == null) {
            throw new FsErrnoException(Errno.EBADF, "unknown nodeid " + Long.toUnsignedString(nodeId));
        }
        inode.users++;
        return new Use(inode);
    }

    private void release(Inode inode) {
        synchronized (this) {
            inode.users--;
            if (!inode.forgotten || inode.users > 0) {
                return;
            }
        }
        HostFs.close(inode.fd);
    }

    /**
     * Records one more guest reference to the file behind the fresh O_PATH {@code fd}: an inode already known
     * by (dev, ino) gets its count raised and {@code fd} is closed; otherwise a new inode takes over {@code fd}.
     * The caller holds the result (its reply needs the inode alive even if the guest forgets it at once).
     */
    Use add(int fd, Statx st) throws FsErrnoException {
        int toClose = -1;
        Inode result;
        synchronized (this) {
            Key key = new Key(st.dev(), st.ino());
            Inode known = byKey.get(key);
            if (known != null && known.type == st.type()) {
                known.lookups++;
                known.users++;
                toClose = fd;
                result = known;
            } else if (byId.size() >= maxInodes) {
                // GUEST-CONTROLLED: a guest that never forgets would pin host fds without end.
                toClose = fd;
                result = null;
            } else {
                // A known key with another type: the host reused an inode number; the old inode keeps its id only.
                Inode fresh = new Inode(nextId++, fd, st.dev(), st.ino(), st.type());
                fresh.lookups = 1;
                fresh.users = 1;
                byId.put(fresh.id, fresh);
                byKey.put(key, fresh);
                result = fresh;
            }
        }
        if (toClose >= 0) {
            HostFs.close(toClose);
        }
        if (result == null) {
            throw new FsErrnoException(Errno.ENFILE, "the guest holds " + maxInodes + " inodes already");
        }
        return new Use(result);
    }

    /**
     * Drops {@code count} guest references to {@code nodeId}; unknown ids and the root are ignored.
     *
     * @return whether the inode went (its last reference was dropped)
     */
    boolean forget(long nodeId, long count) {
        int toClose;
        synchronized (this) {
            Inode inode = byId.get(nodeId);
            if (inode == null || inode == root) {
                return false;
            }
            // GUEST-CONTROLLED: a count larger than what we handed out (or "negative") just forgets the inode.
            inode.lookups = Long.compareUnsigned(count, inode.lookups) >= 0 ? 0 : inode.lookups - count;
            if (inode.lookups > 0) {
                return false;
            }
            drop(inode);
            if (inode.users > 0) {
                return true; // the last Use closes it
            }
            toClose = inode.fd;
        }
        HostFs.close(toClose);
        return true;
    }

    /** Whether the guest still holds {@code inode} (it has not been forgotten). */
    synchronized boolean live(Inode inode) {
        return !inode.forgotten;
    }

    private void drop(Inode inode) {
        byId.remove(inode.id);
        Key key = new Key(inode.dev, inode.ino);
        if (byKey.get(key) == inode) {
            byKey.remove(key);
        }
        inode.forgotten = true;
    }

    synchronized long lookups(long nodeId) {
        Inode inode = byId.get(nodeId);
        return inode == null ? 0 : inode.lookups;
    }

    /** The live inode with this host identity, or null. */
    synchronized Inode byIdentity(long dev, long ino) {
        return byKey.get(new Key(dev, ino));
    }

    synchronized int size() {
        return byId.size();
    }

    /** Forgets every inode but the root (FUSE DESTROY). */
    void forgetAll() {
        List<Integer> fds = new ArrayList<>();
        synchronized (this) {
            for (Inode inode : new ArrayList<>(byId.values())) {
                if (inode != root) {
                    drop(inode);
                    if (inode.users == 0) {
                        fds.add(inode.fd);
                    }
                }
            }
        }
        fds.forEach(HostFs::close);
    }

    /** Forgets everything and closes the root's fd; the table is unusable afterwards. */
    void closeAll() {
        forgetAll();
        synchronized (this) {
            byId.clear();
            byKey.clear();
        }
        HostFs.close(root.fd);
    }
}
