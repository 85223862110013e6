package dev.paddock.runtime.virtio.fs.fuse;

/** FUSE wire sizes and flags, from include/uapi/linux/fuse.h (protocol 7.31). */
public final class FuseProtocol {
    private FuseProtocol() {
    }

    /** The protocol we speak; a 6.1 guest offers 7.36+ and follows our lower minor. */
    public static final int KERNEL_VERSION = 7;
    public static final int KERNEL_MINOR_VERSION = 31;
    /** The oldest minor whose struct sizes match what we parse (virtio-fs itself arrived with 7.31 in Linux 5.4). */
    public static final int MIN_MINOR_VERSION = 27;

    public static final long ROOT_ID = 1;

    /** struct fuse_in_header / fuse_out_header. */
    public static final int IN_HEADER_BYTES = 40;
    public static final int OUT_HEADER_BYTES = 16;

    public static final int ATTR_BYTES = 88;
    public static final int ENTRY_OUT_BYTES = 40 + ATTR_BYTES;
    public static final int ATTR_OUT_BYTES = 16 + ATTR_BYTES;
    public static final int OPEN_OUT_BYTES = 16;
    public static final int INIT_IN_BYTES = 16;
    public static final int INIT_OUT_BYTES = 64;
    public static final int STATFS_OUT_BYTES = 80;
    public static final int DIRENT_HEADER_BYTES = 24;
    public static final int READ_IN_BYTES = 40;
    public static final int WRITE_IN_BYTES = 40;
    public static final int SETATTR_IN_BYTES = 88;

    /** The largest WRITE payload and READ reply we accept (max_write; max_pages × 4 KiB). */
    public static final int MAX_IO_BYTES = 1 << 20;
    public static final int MAX_PAGES = MAX_IO_BYTES / 4096;
    /** NAME_MAX and PATH_MAX of <linux/limits.h>. */
    public static final int NAME_MAX = 255;
    public static final int PATH_MAX = 4096;
    /**
     * The largest request we take: header + the biggest fixed part (setattr_in) + a WRITE payload, or two
     * names, whichever is more.
     */
    public static final int MAX_REQUEST_BYTES = IN_HEADER_BYTES + SETATTR_IN_BYTES + MAX_IO_BYTES;

    // fuse_init_in/out flags
    public static final int ASYNC_READ = 1;
    /** Not offered (FuseServer's INIT says why). */
    public static final int ATOMIC_O_TRUNC = 1 << 3;
    public static final int BIG_WRITES = 1 << 5;
    public static final int AUTO_INVAL_DATA = 1 << 12;
    public static final int DO_READDIRPLUS = 1 << 13;
    public static final int READDIRPLUS_AUTO = 1 << 14;
    public static final int PARALLEL_DIROPS = 1 << 18;
    public static final int MAX_PAGES_FLAG = 1 << 22;
    public static final int CACHE_SYMLINKS = 1 << 23;

    // fuse_setattr_in.valid
    public static final int FATTR_MODE = 1;
    public static final int FATTR_UID = 1 << 1;
    public static final int FATTR_GID = 1 << 2;
    public static final int FATTR_SIZE = 1 << 3;
    public static final int FATTR_ATIME = 1 << 4;
    public static final int FATTR_MTIME = 1 << 5;
    public static final int FATTR_FH = 1 << 6;
    public static final int FATTR_ATIME_NOW = 1 << 7;
    public static final int FATTR_MTIME_NOW = 1 << 8;
    public static final int FATTR_LOCKOWNER = 1 << 9;
    public static final int FATTR_CTIME = 1 << 10;
    public static final int FATTR_KILL_SUIDGID = 1 << 11;

    // fuse_open_out.open_flags
    public static final int FOPEN_KEEP_CACHE = 1 << 1;

    /** fuse_getattr_in.getattr_flags: fh is valid. */
    public static final int GETATTR_FH = 1;
    /** fuse_fsync_in.fsync_flags: data only. */
    public static final int FSYNC_FDATASYNC = 1;
}
