package dev.paddock.runtime.virtio.fs.fuse;

import static dev.paddock.runtime.virtio.fs.fuse.FuseProtocol.*;

/** The operations on names and attributes: lookup, getattr/setattr, links, directories, rename, statfs, access. */
final class EntryOps {
    private final Share share;

    EntryOps(Share share) {
        this.share = share;
    }

    byte[] lookup(FuseRequest req) throws FsErrnoException {
        byte[] name = req.name();
        try (InodeTable.Use parent = share.inodes.use(req.nodeId)) {
            FuseReply r = new FuseReply(ENTRY_OUT_BYTES);
            try (Share.Looked l = share.lookup(parent, name)) {
                share.entryReply(r, l);
            } catch (FsErrnoException e) {
                if (e.errno() != Errno.ENOENT) {
                    throw e;
                }
                FuseAttr.writeNegativeEntry(r, share.timeouts);
            }
            return r.finish(req.unique);
        }
    }

    byte[] getattr(FuseRequest req) throws FsErrnoException {
        int flags = req.u32("getattr_flags");
        req.skip(12, "dummy, fh"); // the inode's own fd answers the same as the file's
        try (InodeTable.Use node = share.inodes.use(req.nodeId)) {
            if ((flags & GETATTR_FH) == 0) {
                share.checkStillNamed(node.inode); // by path: is that path still this file?
            }
            FuseReply r = new FuseReply(ATTR_OUT_BYTES);
            FuseAttr.writeAttrOut(r, node.inode.id, HostFs.stat(node.fd()), share.owners, share.timeouts);
            return r.finish(req.unique);
        }
    }

    byte[] setattr(FuseRequest req) throws FsErrnoException {
        int valid = req.u32("setattr valid");
        req.skip(4, "padding");
        long fh = req.u64("fh");
        long size = req.u64("size");
        req.skip(8, "lock_owner");
        long atime = req.u64("atime");
        long mtime = req.u64("mtime");
        req.skip(8, "ctime");
        int atimeNsec = req.u32("atimensec");
        int mtimeNsec = req.u32("mtimensec");
        req.skip(4, "ctimensec");
        int mode = req.u32("mode");
        req.skip(4, "unused4");
        int uid = req.u32("uid");
        int gid = req.u32("gid");
        share.checkWritable("SETATTR");
        try (InodeTable.Use node = share.inodes.use(req.nodeId)) {
            Inode inode = node.inode;
            if ((valid & FATTR_MODE) != 0) {
                if (inode.isSymlink()) {
                    throw new FsErrnoException(Errno.EOPNOTSUPP, "chmod of a symlink");
                }
                HostFs.chmod(inode.fd, mode & 07777);
            }
            if ((valid & (FATTR_UID | FATTR_GID)) != 0) {
                int hostUid = (valid & FATTR_UID) != 0 ? share.owners.uidToHost(uid) : -1;
                int hostGid = (valid & FATTR_GID) != 0 ? share.owners.gidToHost(gid) : -1;
                HostFs.chown(inode.fd, hostUid, hostGid);
            }
            if ((valid & FATTR_SIZE) != 0) {
                truncate(req, inode, valid, fh, size);
            }
            if ((valid & (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW)) != 0) {
                if (inode.isSymlink()) {
                    throw new FsErrnoException(Errno.EOPNOTSUPP, "times of a symlink");
                }
                long[] a = time(valid, FATTR_ATIME, FATTR_ATIME_NOW, atime, atimeNsec);
                long[] m = time(valid, FATTR_MTIME, FATTR_MTIME_NOW, mtime, mtimeNsec);
                HostFs.setTimes(inode.fd, a[0], a[1], m[0], m[1]);
            }
            Statx after = HostFs.stat(inode.fd);
            share.own.node(inode.dev, inode.ino, OwnChanges.ctime(after));
            FuseReply r = new FuseReply(ATTR_OUT_BYTES);
            FuseAttr.writeAttrOut(r, inode.id, after, share.owners, share.timeouts);
            return r.finish(req.unique);
        }
    }

    private void truncate(FuseRequest req, Inode inode, int valid, long fh, long size) throws FsErrnoException {
        // GUEST-CONTROLLED: a size is an off_t; "negative" is refused here rather than by the host.
        if (size < 0) {
            throw new FsErrnoException(Errno.EINVAL, "truncate to " + Long.toUnsignedString(size));
        }
        if (!inode.isRegular()) {
            throw new FsErrnoException(inode.isDirectory() ? Errno.EISDIR : Errno.EINVAL, "truncate of a non-regular file");
        }
        // ftruncate(2) in the guest names its file's fh: CREATE's, whose fd can write a file created 0444, or 0 (no
        // OPEN, and O_TRUNC's own SETATTR comes without one); either way FileIo finds the fd to truncate with.
        try (FileIo io = FileIo.open(share, inode.id, (valid & FATTR_FH) != 0 ? fh : 0, FileIo.Access.RESIZE, 0)) {
            HostFs.truncate(io.fd, size);
        }
    }

    private static long[] time(int valid, int setBit, int nowBit, long sec, int nsec) throws FsErrnoException {
        if ((valid & nowBit) != 0) {
            return new long[] {0, HostLibC.UTIME_NOW};
        }
        if ((valid & setBit) == 0) {
            return new long[] {0, HostLibC.UTIME_OMIT};
        }
        // GUEST-CONTROLLED: nanoseconds within a second (utimensat would also refuse, but not UTIME_* values).
        if (nsec < 0 || nsec >= 1_000_000_000) {
            throw new FsErrnoException(Errno.EINVAL, "timestamp nanoseconds " + Integer.toUnsignedString(nsec));
        }
        return new long[] {sec, nsec};
    }

    byte[] readlink(FuseRequest req) throws FsErrnoException {
        try (InodeTable.Use node = share.inodes.use(req.nodeId)) {
            if (!node.inode.isSymlink()) {
                throw new FsErrnoException(Errno.EINVAL, "readlink of a non-symlink");
            }
            byte[] target = HostFs.readlink(node.fd(), PATH_MAX);
            return new FuseReply(target.length).bytes(target, 0, target.length).finish(req.unique);
        }
    }

    byte[] symlink(FuseRequest req) throws FsErrnoException {
        byte[] name = req.name();
        // GUEST-CONTROLLED: the target is stored as text and never followed on the host; bounded by PATH_MAX.
        byte[] target = req.cstring(PATH_MAX);
        if (target.length == 0) {
            throw new FsErrnoException(Errno.ENOENT, "empty symlink target");
        }
        share.checkWritable("SYMLINK");
        try (InodeTable.Use parent = share.inodes.use(req.nodeId)) {
            HostFs.symlink(target, parent.fd(), name);
            return entry(req, parent, name);
        }
    }

    byte[] mknod(FuseRequest req) throws FsErrnoException {
        int mode = req.u32("mknod mode");
        req.skip(12, "rdev, umask, padding");
        byte[] name = req.name();
        share.checkWritable("MKNOD");
        int type = mode & HostLibC.S_IFMT;
        // GUEST-CONTROLLED: only regular files and fifos; device nodes and sockets are refused.
        if (type != HostLibC.S_IFREG && type != HostLibC.S_IFIFO && type != 0) {
            throw new FsErrnoException(Errno.EPERM, "mknod of type 0" + Integer.toOctalString(type));
        }
        try (InodeTable.Use parent = share.inodes.use(req.nodeId)) {
            HostFs.mknod(parent.fd(), name, (type == 0 ? HostLibC.S_IFREG : type) | (mode & 0777));
            return entry(req, parent, name);
        }
    }

    byte[] mkdir(FuseRequest req) throws FsErrnoException {
        int mode = req.u32("mkdir mode");
        req.skip(4, "umask");
        byte[] name = req.name();
        share.checkWritable("MKDIR");
        try (InodeTable.Use parent = share.inodes.use(req.nodeId)) {
            HostFs.mkdir(parent.fd(), name, mode & 01777);
            return entry(req, parent, name);
        }
    }

    private byte[] entry(FuseRequest req, InodeTable.Use parent, byte[] name) throws FsErrnoException {
        try (Share.Looked l = share.adoptNew(parent, name)) {
            share.ownName(parent, name, l.stat().ino());
            FuseReply r = new FuseReply(ENTRY_OUT_BYTES);
            share.entryReply(r, l);
            return r.finish(req.unique);
        }
    }

    byte[] unlink(FuseRequest req, boolean directory) throws FsErrnoException {
        byte[] name = req.name();
        share.checkWritable(directory ? "RMDIR" : "UNLINK");
        try (InodeTable.Use parent = share.inodes.use(req.nodeId)) {
            HostFs.unlink(parent.fd(), name, directory);
            share.ownName(parent, name, OwnChanges.ABSENT);
            return FuseReply.empty().finish(req.unique);
        }
    }

    byte[] rename(FuseRequest req, boolean withFlags) throws FsErrnoException {
        long newDir = req.u64("newdir");
        int flags = 0;
        if (withFlags) {
            flags = req.u32("rename flags");
            req.skip(4, "padding");
        }
        byte[] oldName = req.name();
        byte[] newName = req.name();
        share.checkWritable("RENAME");
        // GUEST-CONTROLLED: RENAME_WHITEOUT (overlayfs' device node) and unknown bits are refused.
        if ((flags & ~(HostLibC.RENAME_NOREPLACE | HostLibC.RENAME_EXCHANGE)) != 0) {
            throw new FsErrnoException(Errno.EINVAL, "rename flags 0x" + Integer.toHexString(flags));
        }
        try (InodeTable.Use from = share.inodes.use(req.nodeId); InodeTable.Use to = share.inodes.use(newDir)) {
            Statx moved = share.beforeRename(from, oldName);
            Statx replaced = (flags & HostLibC.RENAME_EXCHANGE) != 0 ? share.beforeRename(to, newName) : null;
            HostFs.rename(from.fd(), oldName, to.fd(), newName, flags);
            share.renamed(from, oldName, moved, to, newName, replaced);
            return FuseReply.empty().finish(req.unique);
        }
    }

    byte[] link(FuseRequest req) throws FsErrnoException {
        long oldNode = req.u64("oldnodeid");
        byte[] name = req.name();
        share.checkWritable("LINK");
        try (InodeTable.Use target = share.inodes.use(oldNode); InodeTable.Use parent = share.inodes.use(req.nodeId)) {
            if (target.inode.isDirectory()) {
                throw new FsErrnoException(Errno.EPERM, "hard link to a directory");
            }
            HostFs.link(target.fd(), parent.fd(), name);
            share.ownNode(target.inode.dev, target.inode.ino, target.fd()); // its link count (so ctime) changed
            return entry(req, parent, name);
        }
    }

    byte[] statfs(FuseRequest req) throws FsErrnoException {
        try (InodeTable.Use node = share.inodes.use(req.nodeId)) {
            java.nio.ByteBuffer s = java.nio.ByteBuffer.wrap(HostFs.statfs(node.fd())).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            // struct statfs (x86_64): f_type 0, f_bsize 8, f_blocks 16, f_bfree 24, f_bavail 32, f_files 40,
            // f_ffree 48, f_fsid 56, f_namelen 64, f_frsize 72.
            FuseReply r = new FuseReply(STATFS_OUT_BYTES);
            r.u64(s.getLong(16)).u64(s.getLong(24)).u64(s.getLong(32)).u64(s.getLong(40)).u64(s.getLong(48))
                    .u32((int) s.getLong(8)).u32((int) Math.min(s.getLong(64), NAME_MAX)).u32((int) s.getLong(72))
                    .u32(0).zeros(24);
            return r.finish(req.unique);
        }
    }

    /** ACCESS (sent only without default_permissions, which virtio-fs sets; answered from the mapped mode bits). */
    byte[] access(FuseRequest req) throws FsErrnoException {
        int mask = req.u32("access mask") & 7;
        try (InodeTable.Use node = share.inodes.use(req.nodeId)) {
            Statx st = HostFs.stat(node.fd());
            if ((mask & 2) != 0 && share.readOnly) {
                throw new FsErrnoException(Errno.EROFS, "write access on a read-only share");
            }
            int bits;
            if (req.uid == 0) {
                bits = 6 | ((st.mode() & 0111) != 0 || st.isDirectory() ? 1 : 0);
            } else if (req.uid == share.owners.uidToGuest(st.uid())) {
                bits = (st.mode() >> 6) & 7;
            } else if (req.gid == share.owners.gidToGuest(st.gid())) {
                bits = (st.mode() >> 3) & 7;
            } else {
                bits = st.mode() & 7;
            }
            if ((mask & ~bits) != 0) {
                throw new FsErrnoException(Errno.EACCES, "access mask " + mask);
            }
            return FuseReply.empty().finish(req.unique);
        }
    }
}
