package dev.paddock.runtime.virtio.fs.fuse;

import static dev.paddock.runtime.virtio.fs.fuse.FuseProtocol.*;
import static dev.paddock.runtime.virtio.fs.fuse.HostLibC.*;

/** The operations on open regular files: open/create, read/write, fsync/release, lseek, fallocate. */
final class FileOps {
    /** Open flags a guest may pass through; everything else (O_CREAT, O_PATH, O_NOFOLLOW, O_DIRECT, ...) is dropped. */
    private static final int PASSED_FLAGS = O_ACCMODE | O_APPEND | O_TRUNC | O_NONBLOCK | 04010000 /* O_SYNC ⊃ O_DSYNC */;

    private final Share share;

    FileOps(Share share) {
        this.share = share;
    }

    private int hostFlags(int guestFlags) throws FsErrnoException {
        int flags = guestFlags & PASSED_FLAGS;
        // GUEST-CONTROLLED: O_ACCMODE 3 is not a valid access mode.
        if ((flags & O_ACCMODE) == O_ACCMODE) {
            throw new FsErrnoException(Errno.EINVAL, "access mode 3");
        }
        if (share.readOnly && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0)) {
            throw new FsErrnoException(Errno.EROFS, "open for writing on a read-only share");
        }
        return flags;
    }

    byte[] open(FuseRequest req) throws FsErrnoException {
        int flags = hostFlags(req.u32("open flags"));
        req.skip(4, "unused");
        try (InodeTable.Use node = share.inodes.use(req.nodeId)) {
            Inode inode = node.inode;
            if (inode.isDirectory()) {
                throw new FsErrnoException(Errno.EISDIR, "OPEN of a directory");
            }
            // Only regular files are reopened on the host: a fifo would block a worker, a symlink would be followed.
            if (!inode.isRegular()) {
                throw new FsErrnoException(Errno.ENXIO, "OPEN of a special file");
            }
            int fd = HostFs.reopen(inode.fd, false, flags);
            if ((flags & O_TRUNC) != 0) {
                share.ownNode(inode.dev, inode.ino, fd);
            }
            long fh = share.addHandle(inode, fd, flags);
            return new FuseReply(OPEN_OUT_BYTES).u64(fh).u32(FOPEN_KEEP_CACHE).u32(0).finish(req.unique);
        }
    }

    byte[] create(FuseRequest req) throws FsErrnoException {
        int guestFlags = req.u32("create flags");
        int mode = req.u32("create mode");
        req.skip(8, "umask, padding");
        byte[] name = req.name();
        share.checkWritable("CREATE");
        int flags = hostFlags(guestFlags) | (guestFlags & O_EXCL);
        try (InodeTable.Use parent = share.inodes.use(req.nodeId)) {
            int fd = HostFs.create(parent.fd(), name, flags, mode & 07777);
            Share.Looked l;
            try {
                l = share.adoptNew(HostFs.pathFdOf(fd));
            } catch (FsErrnoException e) {
                HostFs.close(fd);
                throw e;
            }
            try (l) {
                Share.named(l, parent, name);
                share.ownName(parent, name, l.stat().ino());
                if (!l.stat().isRegular()) {
                    HostFs.close(fd);
                    share.forget(l.use().inode.id, 1);
                    throw new FsErrnoException(Errno.EISDIR, "CREATE met a non-regular file");
                }
                long fh;
                try {
                    fh = share.addHandle(l.use().inode, fd, flags);
                } catch (FsErrnoException e) {
                    share.forget(l.use().inode.id, 1);
                    throw e;
                }
                FuseReply r = new FuseReply(ENTRY_OUT_BYTES + OPEN_OUT_BYTES);
                share.entryReply(r, l);
                r.u64(fh).u32(FOPEN_KEEP_CACHE).u32(0);
                return r.finish(req.unique);
            }
        }
    }

    /** The open handle {@code fh} of {@code nodeId}, held for one request. */
    private HandleTable.Use held(long fh, long nodeId) throws FsErrnoException {
        HandleTable.Use h = share.handles.use(fh, nodeId);
        if (h == null) {
            throw new FsErrnoException(Errno.EBADF, "fh " + Long.toUnsignedString(fh) + " is not open");
        }
        return h;
    }

    byte[] read(FuseRequest req) throws FsErrnoException {
        long fh = req.u64("fh");
        long offset = req.u64("offset");
        int size = req.u32("size");
        // GUEST-CONTROLLED: at most max_read bytes, from a non-negative offset.
        if (size < 0 || size > MAX_IO_BYTES || offset < 0) {
            throw new FsErrnoException(Errno.EINVAL, "read of " + Integer.toUnsignedString(size) + " bytes at " + Long.toUnsignedString(offset));
        }
        try (HandleTable.Use h = held(fh, req.nodeId)) {
            byte[] data = new byte[size];
            int n = HostFs.read(h.fd(), data, size, offset);
            return new FuseReply(n).bytes(data, 0, n).finish(req.unique);
        }
    }

    byte[] write(FuseRequest req) throws FsErrnoException {
        long fh = req.u64("fh");
        long offset = req.u64("offset");
        int size = req.u32("size");
        req.skip(4 + 8 + 4 + 4, "write_flags, lock_owner, flags, padding");
        // GUEST-CONTROLLED: at most max_write bytes, all of them present, from a non-negative offset.
        if (size < 0 || size > MAX_IO_BYTES || offset < 0 || size > req.remaining()) {
            throw new FsErrnoException(Errno.EINVAL, "write of " + Integer.toUnsignedString(size) + " bytes at "
                    + Long.toUnsignedString(offset) + " with " + req.remaining() + " bytes of data");
        }
        share.checkWritable("WRITE");
        byte[] data = req.payload(size);
        try (HandleTable.Use h = held(fh, req.nodeId)) {
            int done = 0;
            while (done < size) {
                byte[] rest = done == 0 ? data : java.util.Arrays.copyOfRange(data, done, size);
                int n = HostFs.write(h.fd(), rest, size - done, offset + done);
                if (n <= 0) {
                    break;
                }
                done += n;
            }
            share.ownNode(h.handle.dev, h.handle.ino, h.fd());
            return new FuseReply(8).u32(done).u32(0).finish(req.unique);
        }
    }

    byte[] release(FuseRequest req) throws FsErrnoException {
        long fh = req.u64("fh");
        share.handles.remove(fh, req.nodeId);
        return FuseReply.empty().finish(req.unique);
    }

    byte[] fsync(FuseRequest req) throws FsErrnoException {
        long fh = req.u64("fh");
        int flags = req.u32("fsync_flags");
        try (HandleTable.Use h = held(fh, req.nodeId)) {
            if (!share.readOnly) {
                HostFs.sync(h.fd(), (flags & FSYNC_FDATASYNC) != 0);
            }
            return FuseReply.empty().finish(req.unique);
        }
    }

    byte[] lseek(FuseRequest req) throws FsErrnoException {
        long fh = req.u64("fh");
        long offset = req.u64("offset");
        int whence = req.u32("whence");
        // GUEST-CONTROLLED: SEEK_SET, SEEK_END, SEEK_DATA, SEEK_HOLE; SEEK_CUR means nothing on a shared pread fd.
        if (whence != 0 && whence != 2 && whence != 3 && whence != 4) {
            throw new FsErrnoException(Errno.EINVAL, "lseek whence " + whence);
        }
        try (HandleTable.Use h = held(fh, req.nodeId)) {
            return new FuseReply(8).u64(HostFs.seek(h.fd(), offset, whence)).finish(req.unique);
        }
    }

    /** FALLOC_FL_KEEP_SIZE 1, PUNCH_HOLE 2, ZERO_RANGE 0x10 (include/uapi/linux/falloc.h). */
    private static final int FALLOCATE_MODES = 0x1 | 0x2 | 0x10;

    byte[] fallocate(FuseRequest req) throws FsErrnoException {
        long fh = req.u64("fh");
        long offset = req.u64("offset");
        long length = req.u64("length");
        int mode = req.u32("mode");
        share.checkWritable("FALLOCATE");
        // GUEST-CONTROLLED: known modes only, a non-negative offset and a positive length.
        if ((mode & ~FALLOCATE_MODES) != 0) {
            throw new FsErrnoException(Errno.EOPNOTSUPP, "fallocate mode 0x" + Integer.toHexString(mode));
        }
        if (offset < 0 || length <= 0) {
            throw new FsErrnoException(Errno.EINVAL, "fallocate range");
        }
        try (HandleTable.Use h = held(fh, req.nodeId)) {
            HostFs.allocate(h.fd(), mode, offset, length);
            share.ownNode(h.handle.dev, h.handle.ino, h.fd());
            return FuseReply.empty().finish(req.unique);
        }
    }
}
