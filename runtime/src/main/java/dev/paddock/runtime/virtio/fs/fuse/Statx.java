package dev.paddock.runtime.virtio.fs.fuse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The fields of a host {@code struct statx} (include/uapi/linux/stat.h) the server uses.
 *
 * @param dev (dev_major << 32) | dev_minor: with {@code ino}, the identity of a host inode
 */
record Statx(int mode, int nlink, int uid, int gid, long ino, long size, long blocks, int blksize,
             long atimeSec, int atimeNsec, long mtimeSec, int mtimeNsec, long ctimeSec, int ctimeNsec,
             int rdevMajor, int rdevMinor, long dev) {

    static Statx parse(byte[] raw) {
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        return new Statx(
                b.getShort(28) & 0xFFFF, b.getInt(16), b.getInt(20), b.getInt(24),
                b.getLong(32), b.getLong(40), b.getLong(48), b.getInt(4),
                b.getLong(64), b.getInt(72), b.getLong(112), b.getInt(120), b.getLong(96), b.getInt(104),
                b.getInt(128), b.getInt(132),
                (long) b.getInt(136) << 32 | (b.getInt(140) & 0xFFFF_FFFFL));
    }

    int type() {
        return mode & HostLibC.S_IFMT;
    }

    boolean isDirectory() {
        return type() == HostLibC.S_IFDIR;
    }

    boolean isRegular() {
        return type() == HostLibC.S_IFREG;
    }

    boolean isSymlink() {
        return type() == HostLibC.S_IFLNK;
    }
}
