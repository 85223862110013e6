package dev.paddock.runtime.virtio.fs.fuse;

import static dev.paddock.runtime.virtio.fs.fuse.HostLibC.*;

/**
 * The host fd one request on a regular file does its I/O on: the fd of the handle the request names, while that
 * handle is open and was opened for what the request does; otherwise the inode's O_PATH fd reopened for just this
 * request, with just the access it needs, and closed when it is done.
 *
 * <p>The second is how a Linux guest that stopped sending OPEN (fc->no_open) is served: its requests carry fh 0. A
 * handle given up meanwhile ({@link HandleTable}) is served the same way. The checks OPEN made hold here too: only a
 * regular file is reopened (a fifo would block a worker, a symlink would be followed), a read-only share opens
 * nothing for writing (EROFS), and the access mode comes from the operation, never from the guest. The reopen is
 * done as the server's host user, so the host's permission bits apply to every read and write as they did to OPEN.
 */
final class FileIo implements AutoCloseable {
    /** What a request does with the file, so which host access mode it needs. */
    enum Access {
        READ,
        /** pwrite, appending or not as the guest's file says. */
        WRITE,
        /** ftruncate, fallocate: any fd open for writing (O_APPEND makes no difference to them). */
        RESIZE,
        /** Either mode does (fsync, lseek): read if the host allows, else write. */
        ANY
    }

    /** The bits of a guest's fuse_write_in.flags (its file's f_flags) that say how a write lands. */
    static final int WRITE_MODE_FLAGS = O_APPEND | O_SYNC;

    private final HandleTable.Use handle;
    /** Our own fd for this request, or -1 when it uses {@link #handle}'s. */
    private final int reopened;
    final int fd;
    /** The inode's host identity, for {@link OwnChanges}. */
    final long dev;
    final long ino;
    /** The host open flags of {@link #fd}. */
    private final int fdFlags;

    private FileIo(HandleTable.Use handle, int reopened, int fd, long dev, long ino, int fdFlags) {
        this.handle = handle;
        this.reopened = reopened;
        this.fd = fd;
        this.dev = dev;
        this.ino = ino;
        this.fdFlags = fdFlags;
    }

    /**
     * The fd for a request on {@code nodeId} that names {@code fh}.
     *
     * @param writeFlags for {@link Access#WRITE}: the guest file's flags; O_APPEND and O_SYNC/O_DSYNC are kept
     * @throws FsErrnoException EBADF for an fh of another inode or an unknown nodeid, EROFS for writing on a
     *         read-only share, EISDIR/ENXIO for a directory/any other non-regular file, or the host's open error
     */
    static FileIo open(Share share, long nodeId, long fh, Access access, int writeFlags) throws FsErrnoException {
        // GUEST-CONTROLLED: of the write flags only how a write lands passes; the access mode is the operation's.
        int mode = access == Access.WRITE ? writeFlags & WRITE_MODE_FLAGS : 0;
        if (access == Access.WRITE || access == Access.RESIZE) {
            share.checkWritable("writing");
        }
        HandleTable.Use h = share.handles.use(fh, nodeId);
        if (h != null) {
            if (serves(h.handle.flags, access, mode)) {
                return new FileIo(h, -1, h.fd(), h.handle.dev, h.handle.ino, h.handle.flags);
            }
            h.close();
        }
        try (InodeTable.Use node = share.inodes.use(nodeId)) {
            Inode inode = node.inode;
            requireRegular(inode, "I/O");
            int flags = switch (access) {
                case READ -> O_RDONLY;
                case WRITE -> O_WRONLY | mode;
                case RESIZE -> O_WRONLY;
                case ANY -> O_RDONLY;
            };
            int fd;
            try {
                fd = HostFs.reopen(inode.fd, false, flags);
            } catch (FsErrnoException e) {
                if (access != Access.ANY || e.errno() != Errno.EACCES || share.readOnly) {
                    throw e;
                }
                flags = O_WRONLY; // a file its owner may write but not read (0200) can still be synced
                fd = HostFs.reopen(inode.fd, false, flags);
            }
            return new FileIo(null, fd, fd, inode.dev, inode.ino, flags);
        }
    }

    /** Whether an fd open with {@code flags} can do {@code access} as asked (appending or not as the guest's file). */
    private static boolean serves(int flags, Access access, int mode) {
        int accmode = flags & O_ACCMODE;
        return switch (access) {
            case READ -> accmode == O_RDONLY || accmode == O_RDWR;
            case WRITE -> (accmode == O_WRONLY || accmode == O_RDWR) && (flags & O_APPEND) == (mode & O_APPEND);
            case RESIZE -> accmode == O_WRONLY || accmode == O_RDWR;
            case ANY -> true;
        };
    }

    /** EISDIR for a directory, ENXIO for anything else that is not a regular file: those are never opened on the host. */
    static void requireRegular(Inode inode, String op) throws FsErrnoException {
        if (inode.isDirectory()) {
            throw new FsErrnoException(Errno.EISDIR, op + " on a directory");
        }
        if (!inode.isRegular()) {
            throw new FsErrnoException(Errno.ENXIO, op + " on a special file");
        }
    }

    /**
     * After a write with the guest's {@code writeFlags}: syncs what the fd's own flags did not (a handle's fd opened
     * without the O_SYNC or O_DSYNC the guest's file has now, fcntl having changed it).
     */
    void synced(int writeFlags) throws FsErrnoException {
        int missing = writeFlags & O_SYNC & ~fdFlags;
        if ((missing & (O_SYNC & ~O_DSYNC)) != 0) {
            HostFs.sync(fd, false);
        } else if ((missing & O_DSYNC) != 0) {
            HostFs.sync(fd, true);
        }
    }

    @Override
    public void close() {
        if (handle != null) {
            handle.close();
        } else {
            HostFs.close(reopened);
        }
    }
}
