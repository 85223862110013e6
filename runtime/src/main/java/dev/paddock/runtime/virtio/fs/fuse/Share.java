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
        return adopt(fd);
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
        return adoptNew(HostFs.lookup(parent.fd(), name));
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

    /** While watched: what {@code name} in {@code dir} names now, for {@link #ownName}; ABSENT when nothing. */
    long inoOf(InodeTable.Use dir, byte[] name) {
        if (!own.watching()) {
            return OwnChanges.ABSENT;
        }
        try {
            int fd = HostFs.lookup(dir.fd(), name);
            try {
                return HostFs.stat(fd).ino();
            } finally {
                HostFs.close(fd);
            }
        } catch (FsErrnoException e) {
            return OwnChanges.ABSENT;
        }
    }

    void entryReply(FuseReply r, Looked l) {
        FuseAttr.writeEntry(r, l.use().inode.id, l.stat(), owners, timeouts);
    }
}
