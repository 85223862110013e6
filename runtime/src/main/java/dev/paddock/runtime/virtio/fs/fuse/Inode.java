package dev.paddock.runtime.virtio.fs.fuse;

/**
 * A host inode the guest knows by {@link #id}: an O_PATH fd (which keeps naming the same file through renames
 * and unlinks) and its identity. The counts below are guarded by the owning {@link InodeTable}'s monitor.
 */
final class Inode {
    /** The FUSE nodeid: a counter value, never a pointer and never reused. */
    final long id;
    /** Our O_PATH fd of the inode; closed only when the guest forgot it and no request still uses it. */
    final int fd;
    /** Host device (major << 32 | minor) and inode number: the file's identity. */
    final long dev;
    final long ino;
    /** S_IFMT bits, fixed for the inode's life. */
    final int type;

    /** The name the guest last reached this inode by (a directory's nodeid and a name), or null (the root). */
    record Name(long parentId, byte[] name) {
    }

    /** Set by every lookup, create and guest rename; read by {@link Share#checkStillNamed}. */
    volatile Name name;

    long lookups;
    int users;
    boolean forgotten;

    Inode(long id, int fd, long dev, long ino, int type) {
        this.id = id;
        this.fd = fd;
        this.dev = dev;
        this.ino = ino;
        this.type = type;
    }

    boolean isDirectory() {
        return type == HostLibC.S_IFDIR;
    }

    boolean isRegular() {
        return type == HostLibC.S_IFREG;
    }

    boolean isSymlink() {
        return type == HostLibC.S_IFLNK;
    }
}
