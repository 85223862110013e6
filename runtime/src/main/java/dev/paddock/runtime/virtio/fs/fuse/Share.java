package dev.paddock.runtime.virtio.fs.fuse;

/**
 * What every operation on one shared directory needs: its inodes and open handles, the ownership map, the
 * cache timeouts and whether it is read-only.
 */
final class Share {
    final InodeTable inodes;
    final HandleTable handles;
    final OwnershipMap owners;
    /** Swapped when host invalidation starts or stops ({@link FuseServer#cacheTimeouts(CacheTimeouts)}). */
    volatile CacheTimeouts timeouts;
    /** What this share's server changed on the host, for the watcher to leave out. */
    final OwnChanges own = new OwnChanges();
    final boolean readOnly;
    /** Running as root, new objects are given to the share's owner (see {@link OwnershipMap}). */
    private final boolean chownNew;

    Share(InodeTable inodes, HandleTable handles, OwnershipMap owners, CacheTimeouts timeouts, boolean readOnly,
          boolean chownNew) {
        this.inodes = inodes;
        this.handles = handles;
        this.owners = owners;
        this.timeouts = timeouts;
        this.readOnly = readOnly;
        this.chownNew = chownNew;
    }

    /** Drops {@code count} guest references to {@code nodeId}; an inode that goes takes its open handles along. */
    void forget(long nodeId, long count) {
        if (inodes.forget(nodeId, count)) {
            handles.closeNode(nodeId);
        }
    }

    /**
     * Registers the open {@code fd} (host open {@code flags}) of {@code inode} as a handle, closing {@code fd} on
     * failure. A handle added just after the guest forgot the inode (only a hostile guest forgets a nodeid before it
     * learns it) is closed at once, as {@link #forget} would have.
     */
    long addHandle(Inode inode, int fd, int flags) throws FsErrnoException {
        long fh = handles.add(inode, fd, flags);
        if (!inodes.live(inode)) {
            handles.closeNode(inode.id);
        }
        return fh;
    }

    /** EROFS for a mutating operation on a read-only share. */
    void checkWritable(String op) throws FsErrnoException {
        if (readOnly) {
            throw new FsErrnoException(Errno.EROFS, op + " on a read-only share");
        }
    }

    /**
     * Looks {@code name} up in directory {@code parent} and takes a guest reference on the result; the caller
     * closes the returned hold after replying.
     */
    Looked lookup(InodeTable.Use parent, byte[] name) throws FsErrnoException {
        if (!parent.inode.isDirectory()) {
            throw new FsErrnoException(Errno.ENOTDIR, "lookup in a non-directory");
        }
        int fd = HostFs.lookup(parent.fd(), name);
        return named(adopt(fd), parent, name);
    }

    /** Remembers that the guest reaches {@code l}'s inode as {@code name} in {@code parent}; returns {@code l}. */
    static Looked named(Looked l, InodeTable.Use parent, byte[] name) {
        l.use().inode.name = new Inode.Name(parent.inode.id, name.clone());
        return l;
    }

    /**
     * While the host is watched (the guest caches for an hour): whether {@code inode} is still what the name the guest
     * last reached it by names on the host. A guest asks for attributes by path when the agent refreshes a path the
     * host changed (PROTOCOL.md §13); if the host removed or replaced that name, answering ESTALE makes the guest's
     * kernel look the name up again (LOOKUP_REVAL) and drop its cached dentry, even one a process keeps busy, which
     * dropping caches cannot. One lookup on the host per such request; nothing in the 1 s mode.
     *
     * @throws FsErrnoException ESTALE when the name is gone or names another inode now
     */
    void checkStillNamed(Inode inode) throws FsErrnoException {
        Inode.Name n = inode.name;
        if (!own.watching() || n == null) {
            return;
        }
        InodeTable.Use parent;
        try {
            parent = inodes.use(n.parentId());
        } catch (FsErrnoException e) {
            return; // the guest forgot the directory: nothing to compare with
        }
        try (parent) {
            Statx st;
            try {
                st = statOf(parent, n.name());
            } catch (FsErrnoException e) {
                if (e.errno() == Errno.ENOENT || e.errno() == Errno.ENOTDIR) {
                    throw new FsErrnoException(Errno.ESTALE, "its name is gone on the host");
                }
                return;
            }
            if (st.dev() != inode.dev || st.ino() != inode.ino) {
                throw new FsErrnoException(Errno.ESTALE, "its name names another file on the host now");
            }
        }
    }

    /** The attributes of what {@code name} in {@code dir} names on the host now (a confined lookup, then fstat). */
    private static Statx statOf(InodeTable.Use dir, byte[] name) throws FsErrnoException {
        int fd = HostFs.lookup(dir.fd(), name);
        try {
            return HostFs.stat(fd);
        } finally {
            HostFs.close(fd);
        }
    }

    /** Takes over O_PATH {@code fd}: stats it and records a guest reference. */
    Looked adopt(int fd) throws FsErrnoException {
        Statx st;
        try {
            st = HostFs.stat(fd);
        } catch (FsErrnoException e) {
            HostFs.close(fd);
            throw e;
        }
        return new Looked(inodes.add(fd, st), st);
    }

    /**
     * Adopts {@code name}, just created in {@code parent}: gives it to the share owner when we run as root,
     * then looks it up as {@link #lookup} does.
     */
    Looked adoptNew(InodeTable.Use parent, byte[] name) throws FsErrnoException {
        return named(adoptNew(HostFs.lookup(parent.fd(), name)), parent, name);
    }

    /** As {@link #adoptNew(InodeTable.Use, byte[])}, for the O_PATH {@code fd} of the new object. */
    Looked adoptNew(int fd) throws FsErrnoException {
        if (chownNew) {
            try {
                HostFs.chown(fd, owners.hostUid(), owners.hostGid());
            } catch (FsErrnoException e) {
                HostFs.close(fd);
                throw e;
            }
            Looked l = adopt(fd);
            own.node(l.stat().dev(), l.stat().ino(), OwnChanges.ctime(l.stat())); // the chown's IN_ATTRIB is ours
            return l;
        }
        return adopt(fd);
    }

    /** A looked-up inode, held, with the attributes it had. */
    record Looked(InodeTable.Use use, Statx stat) implements AutoCloseable {
        @Override
        public void close() {
            use.close();
        }
    }

    /** While watched: the server left {@code name} in {@code dir} naming {@code ino} ({@link OwnChanges#ABSENT}). */
    void ownName(InodeTable.Use dir, byte[] name, long ino) {
        own.name(dir.inode, name, ino);
    }

    /** While watched: the server changed the inode {@code (dev, ino)}, open as {@code fd}; records its new ctime. */
    void ownNode(long dev, long ino, int fd) {
        if (own.watching()) {
            try {
                own.node(dev, ino, OwnChanges.ctime(HostFs.stat(fd)));
            } catch (FsErrnoException e) {
                // cannot stat it: its events are sent, which costs the guest a refresh, nothing more
            }
        }
    }

    /** While watched: what {@code name} in {@code dir} names now (for {@link #renamed}); null when nothing. */
    Statx beforeRename(InodeTable.Use dir, byte[] name) {
        if (!own.watching()) {
            return null;
        }
        try {
            return statOf(dir, name);
        } catch (FsErrnoException e) {
            return null;
        }
    }

    /**
     * After the guest's rename of {@code oldName} in {@code from} to {@code newName} in {@code to}, with what each
     * name named before ({@link #beforeRename}; {@code replaced} only for RENAME_EXCHANGE): records what the server
     * left behind for the watcher, and the new names by which the guest now reaches the moved inodes.
     */
    void renamed(InodeTable.Use from, byte[] oldName, Statx moved, InodeTable.Use to, byte[] newName, Statx replaced) {
        if (!own.watching()) {
            return;
        }
        ownName(from, oldName, replaced == null ? OwnChanges.ABSENT : replaced.ino());
        ownName(to, newName, moved == null ? OwnChanges.ABSENT : moved.ino());
        reachedAs(moved, to, newName);
        reachedAs(replaced, from, oldName);
    }

    private void reachedAs(Statx st, InodeTable.Use dir, byte[] name) {
        Inode inode = st == null ? null : inodes.byIdentity(st.dev(), st.ino());
        if (inode != null) {
            inode.name = new Inode.Name(dir.inode.id, name.clone());
        }
    }

    void entryReply(FuseReply r, Looked l) {
        FuseAttr.writeEntry(r, l.use().inode.id, l.stat(), owners, timeouts);
    }
}
