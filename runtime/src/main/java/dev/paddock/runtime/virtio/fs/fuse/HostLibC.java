package dev.paddock.runtime.virtio.fs.fuse;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * The raw libc layer of the passthrough server: direct-mapped JNA bindings for the *at() family of file
 * system calls, each declaring {@link LastErrorException} so errno is captured right after the call.
 *
 * <p>Paths are NUL-terminated {@code byte[]}, never {@code String}: a guest's names are bytes, not
 * necessarily UTF-8, and must reach the kernel unchanged. Nothing outside this package sees these methods;
 * {@link HostFs} checks each result. Constants are x86_64 values from the UAPI headers named beside them.
 */
final class HostLibC {
    static {
        Native.register(HostLibC.class, "c");
    }

    private HostLibC() {
        throw new AssertionError("no instances");
    }

    // <asm-generic/fcntl.h> (x86_64 uses the generic values)
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_ACCMODE = 3;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NOCTTY = 0400;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final int O_NONBLOCK = 04000;
    static final int O_DSYNC = 010000;
    /** __O_SYNC | O_DSYNC: full file-integrity sync. */
    static final int O_SYNC = 04010000;
    static final int O_DIRECT = 040000;
    static final int O_LARGEFILE = 0100000;
    static final int O_DIRECTORY = 0200000;
    static final int O_NOFOLLOW = 0400000;
    static final int O_NOATIME = 01000000;
    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;
    static final int O_TMPFILE_MASK = 020000000;

    // <linux/fcntl.h>
    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_REMOVEDIR = 0x200;
    static final int AT_SYMLINK_FOLLOW = 0x400;
    static final int AT_EMPTY_PATH = 0x1000;

    // include/uapi/linux/openat2.h: struct open_how { __u64 flags; __u64 mode; __u64 resolve; }
    static final long SYS_OPENAT2 = 437; // arch/x86/entry/syscalls/syscall_64.tbl
    static final int OPEN_HOW_BYTES = 24;
    static final long RESOLVE_NO_XDEV = 0x01;
    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_NO_SYMLINKS = 0x04;
    static final long RESOLVE_BENEATH = 0x08;

    // include/uapi/linux/stat.h: struct statx is 256 bytes
    static final int STATX_BYTES = 256;
    static final int STATX_BASIC_STATS = 0x7ff;

    // <linux/stat.h> file types
    static final int S_IFMT = 0170000;
    static final int S_IFSOCK = 0140000;
    static final int S_IFLNK = 0120000;
    static final int S_IFREG = 0100000;
    static final int S_IFBLK = 060000;
    static final int S_IFDIR = 040000;
    static final int S_IFCHR = 020000;
    static final int S_IFIFO = 010000;

    // include/uapi/linux/fs.h renameat2 flags
    static final int RENAME_NOREPLACE = 1;
    static final int RENAME_EXCHANGE = 2;

    // <bits/stat.h>: struct timespec[2] for utimensat
    static final long UTIME_NOW = (1L << 30) - 1;
    static final long UTIME_OMIT = (1L << 30) - 2;

    /** x86_64 struct statfs is 15 longs. */
    static final int STATFS_BYTES = 120;

    static native int openat(int dirfd, byte[] path, int flags, int mode) throws LastErrorException;

    /** {@code syscall(SYS_openat2, dirfd, path, &how, sizeof how)}; {@code how} is the three u64 of open_how. */
    static native long syscall(long number, long dirfd, byte[] path, long[] how, long size) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int statx(int dirfd, byte[] path, int flags, int mask, byte[] statx) throws LastErrorException;

    static native int fstatfs(int fd, byte[] statfs) throws LastErrorException;

    static native long readlinkat(int dirfd, byte[] path, byte[] buf, long size) throws LastErrorException;

    static native int mkdirat(int dirfd, byte[] path, int mode) throws LastErrorException;

    static native int mknodat(int dirfd, byte[] path, int mode, long dev) throws LastErrorException;

    static native int symlinkat(byte[] target, int dirfd, byte[] path) throws LastErrorException;

    static native int unlinkat(int dirfd, byte[] path, int flags) throws LastErrorException;

    static native int renameat2(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags)
            throws LastErrorException;

    static native int linkat(int olddirfd, byte[] oldpath, int newdirfd, byte[] newpath, int flags)
            throws LastErrorException;

    static native int fchmodat(int dirfd, byte[] path, int mode, int flags) throws LastErrorException;

    static native int fchownat(int dirfd, byte[] path, int uid, int gid, int flags) throws LastErrorException;

    static native int ftruncate(int fd, long length) throws LastErrorException;

    /** {@code times} is struct timespec[2]: {atime.sec, atime.nsec, mtime.sec, mtime.nsec}. */
    static native int utimensat(int dirfd, byte[] path, long[] times, int flags) throws LastErrorException;

    static native long pread(int fd, byte[] buf, long count, long offset) throws LastErrorException;

    static native long pwrite(int fd, byte[] buf, long count, long offset) throws LastErrorException;

    static native long lseek(int fd, long offset, int whence) throws LastErrorException;

    static native int fsync(int fd) throws LastErrorException;

    static native int fdatasync(int fd) throws LastErrorException;

    static native int fallocate(int fd, int mode, long offset, long length) throws LastErrorException;

    static native long getdents64(int fd, byte[] buf, long count) throws LastErrorException;

    static native int geteuid();
}
