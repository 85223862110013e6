package dev.paddock.runtime.virtio.fs.fuse;

import static dev.paddock.runtime.virtio.fs.fuse.HostLibC.*;

import com.sun.jna.LastErrorException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Checked wrappers over {@link HostLibC}: each failure becomes an {@link FsErrnoException} carrying the
 * host errno (which the guest gets back) and naming the call.
 *
 * <p>Confinement rules kept here, in one place:
 * <ul>
 *   <li>every guest-supplied name is one path component (checked by {@link FuseNames}) resolved against a
 *       parent directory's O_PATH fd; {@link #lookup} uses openat2 with RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS,
 *       RESOLVE_NO_MAGICLINKS and RESOLVE_NO_XDEV, so even a name that slipped past the checks could not
 *       leave the parent, follow a link, or cross a mount;</li>
 *   <li>creation calls (mkdirat, mknodat, symlinkat, openat O_CREAT) take the same single component and
 *       never follow a trailing symlink (O_NOFOLLOW, or calls that do not follow by definition);</li>
 *   <li>an already-held inode is re-opened through {@code /proc/self/fd/N} of <em>our own</em> O_PATH fd,
 *       which names exactly that inode (no path walk the guest could influence), and only for regular
 *       files and directories, so a symlink is never followed on the host.</li>
 * </ul>
 */
final class HostFs {
    private HostFs() {
    }

    static final byte[] EMPTY_PATH = {0};
    private static final byte[] DOT = {'.', 0};

    /** {@code name} with the trailing NUL C wants. */
    static byte[] cstring(byte[] name) {
        return Arrays.copyOf(name, name.length + 1);
    }

    static byte[] procFd(int fd) {
        return ("/proc/self/fd/" + fd + "\0").getBytes(StandardCharsets.US_ASCII);
    }

    private static FsErrnoException fail(String call, LastErrorException e) {
        return new FsErrnoException(e.getErrorCode(), call + ": errno " + e.getErrorCode());
    }

    /** Opens the share's root directory as an O_PATH fd. */
    static int openRoot(String path) throws FsErrnoException {
        try {
            return openat(AT_FDCWD, cstring(path.getBytes(StandardCharsets.UTF_8)), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw fail("open(" + path + ")", e);
        }
    }

    /** The O_PATH fd of {@code name} inside directory {@code parentFd}, never following a link. */
    static int lookup(int parentFd, byte[] name) throws FsErrnoException {
        long[] how = {O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV};
        try {
            return (int) syscall(SYS_OPENAT2, parentFd, cstring(name), how, OPEN_HOW_BYTES);
        } catch (LastErrorException e) {
            throw fail("openat2", e);
        }
    }

    /** An O_PATH fd for the same file as the open {@code fd} (no path walk). */
    static int pathFdOf(int fd) throws FsErrnoException {
        try {
            return openat(AT_FDCWD, procFd(fd), O_PATH | O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw fail("reopen O_PATH", e);
        }
    }

    /**
     * Opens the inode behind O_PATH {@code pathFd} for I/O. The caller has checked it is a regular file or a
     * directory; {@code flags} is already sanitized (no O_CREAT, O_PATH, O_NOFOLLOW games).
     */
    static int reopen(int pathFd, boolean directory, int flags) throws FsErrnoException {
        try {
            if (directory) {
                return openat(pathFd, DOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
            }
            return openat(AT_FDCWD, procFd(pathFd), flags | O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw fail("reopen", e);
        }
    }

    /** openat(parent, name, O_CREAT | flags | O_NOFOLLOW): an existing symlink is refused with ELOOP. */
    static int create(int parentFd, byte[] name, int flags, int mode) throws FsErrnoException {
        try {
            return openat(parentFd, cstring(name), flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
        } catch (LastErrorException e) {
            throw fail("openat(O_CREAT)", e);
        }
    }

    static void close(int fd) {
        try {
            HostLibC.close(fd);
        } catch (LastErrorException e) {
            // close(2) has released the fd whatever it returns; EIO here is about earlier writes, which fsync reports.
            System.getLogger(HostFs.class.getName()).log(System.Logger.Level.DEBUG, "close({0}): errno {1}", fd, e.getErrorCode());
        }
    }

    /** statx of the inode {@code fd} refers to (an O_PATH fd is fine), not following a symlink. */
    static Statx stat(int fd) throws FsErrnoException {
        byte[] buf = new byte[STATX_BYTES];
        try {
            statx(fd, EMPTY_PATH, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf);
        } catch (LastErrorException e) {
            throw fail("statx", e);
        }
        return Statx.parse(buf);
    }

    static byte[] statfs(int fd) throws FsErrnoException {
        byte[] buf = new byte[STATFS_BYTES];
        try {
            fstatfs(fd, buf);
        } catch (LastErrorException e) {
            throw fail("fstatfs", e);
        }
        return buf;
    }

    /** The target of the symlink behind O_PATH {@code fd}, as bytes (at most {@code max}). */
    static byte[] readlink(int fd, int max) throws FsErrnoException {
        byte[] buf = new byte[max + 1];
        try {
            long n = readlinkat(fd, EMPTY_PATH, buf, buf.length);
            if (n > max) {
                throw new FsErrnoException(Errno.ENAMETOOLONG, "readlink: target longer than " + max);
            }
            return Arrays.copyOf(buf, (int) n);
        } catch (LastErrorException e) {
            throw fail("readlinkat", e);
        }
    }

    static void mkdir(int parentFd, byte[] name, int mode) throws FsErrnoException {
        try {
            mkdirat(parentFd, cstring(name), mode);
        } catch (LastErrorException e) {
            throw fail("mkdirat", e);
        }
    }

    static void mknod(int parentFd, byte[] name, int mode) throws FsErrnoException {
        try {
            mknodat(parentFd, cstring(name), mode, 0);
        } catch (LastErrorException e) {
            throw fail("mknodat", e);
        }
    }

    static void symlink(byte[] target, int parentFd, byte[] name) throws FsErrnoException {
        try {
            symlinkat(cstring(target), parentFd, cstring(name));
        } catch (LastErrorException e) {
            throw fail("symlinkat", e);
        }
    }

    static void unlink(int parentFd, byte[] name, boolean directory) throws FsErrnoException {
        try {
            unlinkat(parentFd, cstring(name), directory ? AT_REMOVEDIR : 0);
        } catch (LastErrorException e) {
            throw fail("unlinkat", e);
        }
    }

    static void rename(int oldParentFd, byte[] oldName, int newParentFd, byte[] newName, int flags) throws FsErrnoException {
        try {
            renameat2(oldParentFd, cstring(oldName), newParentFd, cstring(newName), flags);
        } catch (LastErrorException e) {
            throw fail("renameat2", e);
        }
    }

    /** A new name in {@code newParentFd} for exactly the inode behind our O_PATH {@code fd}. */
    static void link(int fd, int newParentFd, byte[] newName) throws FsErrnoException {
        try {
            linkat(AT_FDCWD, procFd(fd), newParentFd, cstring(newName), AT_SYMLINK_FOLLOW);
        } catch (LastErrorException e) {
            throw fail("linkat", e);
        }
    }

    static void chmod(int pathFd, int mode) throws FsErrnoException {
        try {
            fchmodat(AT_FDCWD, procFd(pathFd), mode, 0);
        } catch (LastErrorException e) {
            throw fail("fchmodat", e);
        }
    }

    /** Changes owner of the inode behind {@code fd}; -1 leaves one unchanged. Never follows a symlink. */
    static void chown(int fd, int uid, int gid) throws FsErrnoException {
        try {
            fchownat(fd, EMPTY_PATH, uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException e) {
            throw fail("fchownat", e);
        }
    }

    static void truncate(int openFd, long size) throws FsErrnoException {
        try {
            ftruncate(openFd, size);
        } catch (LastErrorException e) {
            throw fail("ftruncate", e);
        }
    }

    static void setTimes(int pathFd, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) throws FsErrnoException {
        try {
            utimensat(AT_FDCWD, procFd(pathFd), new long[] {atimeSec, atimeNsec, mtimeSec, mtimeNsec}, 0);
        } catch (LastErrorException e) {
            throw fail("utimensat", e);
        }
    }

    /** pread until {@code count} bytes or end of file; returns how many. */
    static int read(int fd, byte[] buf, int count, long offset) throws FsErrnoException {
        int done = 0;
        try {
            while (done < count) {
                byte[] target = done == 0 ? buf : new byte[count - done];
                long n = pread(fd, target, count - done, offset + done);
                if (n <= 0) {
                    break;
                }
                if (done != 0) {
                    System.arraycopy(target, 0, buf, done, (int) n);
                }
                done += (int) n;
            }
            return done;
        } catch (LastErrorException e) {
            throw fail("pread", e);
        }
    }

    static int write(int fd, byte[] buf, int count, long offset) throws FsErrnoException {
        try {
            long n = pwrite(fd, buf, count, offset);
            return (int) n;
        } catch (LastErrorException e) {
            throw fail("pwrite", e);
        }
    }

    static long seek(int fd, long offset, int whence) throws FsErrnoException {
        try {
            return lseek(fd, offset, whence);
        } catch (LastErrorException e) {
            throw fail("lseek", e);
        }
    }

    static void sync(int fd, boolean dataOnly) throws FsErrnoException {
        try {
            if (dataOnly) {
                fdatasync(fd);
            } else {
                fsync(fd);
            }
        } catch (LastErrorException e) {
            throw fail("fsync", e);
        }
    }

    static void allocate(int fd, int mode, long offset, long length) throws FsErrnoException {
        try {
            fallocate(fd, mode, offset, length);
        } catch (LastErrorException e) {
            throw fail("fallocate", e);
        }
    }

    /** Raw linux_dirent64 records into {@code buf}; returns the bytes filled, 0 at the end. */
    static int readDirectory(int fd, byte[] buf) throws FsErrnoException {
        try {
            return (int) getdents64(fd, buf, buf.length);
        } catch (LastErrorException e) {
            throw fail("getdents64", e);
        }
    }

    static int effectiveUid() {
        return geteuid();
    }
}
