package dev.paddock.runtime.virtio.fs.fuse;

import static dev.paddock.runtime.virtio.fs.fuse.FuseProtocol.*;
import static dev.paddock.runtime.virtio.fs.fuse.HostLibC.*;

/**
 * The operations on regular files: OPEN and CREATE, READ and WRITE, FSYNC, LSEEK, FALLOCATE, RELEASE.
 *
 * <p>OPEN of a regular file answers ENOSYS. A Linux guest (fs/fuse/file.c, fuse_file_open: fc->no_open) then stops
 * sending OPEN for the whole mount, and RELEASE with it: every later open(2) of a file succeeds in the guest with
 * fh 0 and FOPEN_KEEP_CACHE, and costs no round trip, nor does its close(2) (`git status` opens dozens of files;
 * each OPEN and RELEASE was a round trip of milliseconds). Its READ, WRITE, FSYNC, LSEEK and FALLOCATE then come
 * with fh 0 and are done by nodeid ({@link FileIo}: the inode reopened with the access that one request needs).
 * Directories work the same way already (OPENDIR, {@link DirectoryOps}).
 *
 * <p>CREATE still answers with a handle, and requests naming it use its fd while it is open: a file created 0444
 * (git's object files, open(O_RDWR | O_CREAT | O_EXCL, 0444)) can only be written through that fd by a server that
 * is not root. Such a guest never releases it; {@link HandleTable} reclaims it.
 */
final class FileOps {
    /** CREATE flags a guest may pass through; everything else (O_PATH, O_NOFOLLOW, O_DIRECT, ...) is dropped. */
    private static final int PASSED_FLAGS = O_ACCMODE | O_APPEND | O_TRUNC | O_NONBLOCK | O_SYNC /* ⊃ O_DSYNC */;

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

    /**
     * OPEN: ENOSYS for every regular file, whatever its flags, so the guest stops asking (see the class comment); its
     * access mode and O_TRUNC are then checked where they take effect (WRITE, and the SETATTR of size 0 the guest's
     * VFS sends for O_TRUNC since ATOMIC_O_TRUNC is not offered). A nodeid that is not a regular file is refused as
     * before: a guest kernel never sends OPEN for one.
     */
    byte[] open(FuseRequest req) throws FsErrnoException {
        try (InodeTable.Use node = share.inodes.use(req.nodeId)) {
            FileIo.requireRegular(node.inode, "OPEN");
        }
        throw new FsErrnoException(Errno.ENOSYS, "OPEN: files are read and written by nodeid (fc->no_open)");
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

    byte[] read(FuseRequest req) throws FsErrnoException {
        long fh = req.u64("fh");
        long offset = req.u64("offset");
        int size = req.u32("size");
        // GUEST-CONTROLLED: at most max_read bytes, from a non-negative offset.
        if (size < 0 || size > MAX_IO_BYTES || offset < 0) {
            throw new FsErrnoException(Errno.EINVAL, "read of " + Integer.toUnsignedString(size) + " bytes at " + Long.toUnsignedString(offset));
        }
        try (FileIo io = FileIo.open(share, req.nodeId, fh, FileIo.Access.READ, 0)) {
            byte[] data = new byte[size];
            int n = HostFs.read(io.fd, data, size, offset);
            return new FuseReply(n).bytes(data, 0, n).finish(req.unique);
        }
    }

    byte[] write(FuseRequest req) throws FsErrnoException {
        long fh = req.u64("fh");
        long offset = req.u64("offset");
        int size = req.u32("size");
        req.skip(4 + 8, "write_flags, lock_owner");
        int flags = req.u32("write flags"); // the guest file's f_flags (fs/fuse/file.c, fuse_write_flags)
        req.skip(4, "padding");
        // GUEST-CONTROLLED: at most max_write bytes, all of them present, from a non-negative offset.
        if (size < 0 || size > MAX_IO_BYTES || offset < 0 || size > req.remaining()) {
            throw new FsErrnoException(Errno.EINVAL, "write of " + Integer.toUnsignedString(size) + " bytes at "
                    + Long.toUnsignedString(offset) + " with " + req.remaining() + " bytes of data");
        }
        share.checkWritable("WRITE");
        byte[] data = req.payload(size);
        try (FileIo io = FileIo.open(share, req.nodeId, fh, FileIo.Access.WRITE, flags)) {
            int done = 0;
            while (done < size) {
                byte[] rest = done == 0 ? data : java.util.Arrays.copyOfRange(data, done, size);
                // With O_APPEND (the guest's file has it, so has our fd) pwrite appends whatever the offset.
                int n = HostFs.write(io.fd, rest, size - done, offset + done);
                if (n <= 0) {
                    break;
                }
                done += n;
            }
            io.synced(flags);
            share.ownNode(io.dev, io.ino, io.fd);
            return new FuseReply(8).u32(done).u32(0).finish(req.unique);
        }
    }

    /** RELEASE: only of CREATE's handles, and only from a guest that has not yet sent OPEN (or never does). */
    byte[] release(FuseRequest req) throws FsErrnoException {
        long fh = req.u64("fh");
        share.handles.remove(fh, req.nodeId);
        return FuseReply.empty().finish(req.unique);
    }

    byte[] fsync(FuseRequest req) throws FsErrnoException {
        long fh = req.u64("fh");
        int flags = req.u32("fsync_flags");
        try (FileIo io = FileIo.open(share, req.nodeId, fh, FileIo.Access.ANY, 0)) {
            if (!share.readOnly) {
                HostFs.sync(io.fd, (flags & FSYNC_FDATASYNC) != 0);
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
        try (FileIo io = FileIo.open(share, req.nodeId, fh, FileIo.Access.ANY, 0)) {
            return new FuseReply(8).u64(HostFs.seek(io.fd, offset, whence)).finish(req.unique);
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
        try (FileIo io = FileIo.open(share, req.nodeId, fh, FileIo.Access.RESIZE, 0)) {
            HostFs.allocate(io.fd, mode, offset, length);
            share.ownNode(io.dev, io.ino, io.fd);
            return FuseReply.empty().finish(req.unique);
        }
    }
}
