package dev.paddock.runtime.virtio.fs.fuse;

import static dev.paddock.runtime.virtio.fs.fuse.FuseProtocol.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * OPENDIR, READDIR, READDIRPLUS (RELEASEDIR and FSYNCDIR share {@link FileOps}'s code).
 *
 * <p>Each READDIR seeks the directory fd to the guest's offset (a d_off cookie we handed out, or 0), reads
 * host linux_dirent64 records and turns as many as fit into fuse_dirent(plus) records, each carrying the host
 * d_off as its offset. Nothing is remembered between calls, so a guest that re-reads or seeks gets what the
 * host directory says.
 */
final class DirectoryOps {
    /** Host getdents64 buffer per round. */
    private static final int HOST_BUFFER = 32 * 1024;
    /** linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name (include/linux/dirent.h). */
    private static final int D_NAME = 19;

    private final Share share;

    DirectoryOps(Share share) {
        this.share = share;
    }

    byte[] opendir(FuseRequest req) throws FsErrnoException {
        try (InodeTable.Use node = share.inodes.use(req.nodeId)) {
            if (!node.inode.isDirectory()) {
                throw new FsErrnoException(Errno.ENOTDIR, "OPENDIR of a non-directory");
            }
            int fd = HostFs.reopen(node.fd(), true, HostLibC.O_RDONLY);
            long fh = share.handles.add(node.inode, fd, true);
            return new FuseReply(OPEN_OUT_BYTES).u64(fh).u32(0).u32(0).finish(req.unique);
        }
    }

    byte[] readdir(FuseRequest req, boolean plus) throws FsErrnoException {
        long fh = req.u64("fh");
        long offset = req.u64("offset");
        int size = req.u32("size");
        // GUEST-CONTROLLED: the reply is at most max_read bytes.
        if (size < 0 || size > MAX_IO_BYTES) {
            throw new FsErrnoException(Errno.EINVAL, "readdir of " + Integer.toUnsignedString(size) + " bytes");
        }
        try (InodeTable.Use dir = share.inodes.use(req.nodeId);
             HandleTable.Use h = share.handles.use(fh, req.nodeId, true)) {
            FuseReply r = new FuseReply(size);
            synchronized (h.handle.dirLock) {
                // GUEST-CONTROLLED: the offset is a cookie; the host file system refuses ones it never made.
                HostFs.seek(h.fd(), offset, 0);
                byte[] buf = new byte[Math.min(HOST_BUFFER, Math.max(size, 512))];
                boolean full = false;
                while (!full) {
                    int n = HostFs.readDirectory(h.fd(), buf);
                    if (n <= 0) {
                        break;
                    }
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n).order(ByteOrder.LITTLE_ENDIAN);
                    int at = 0;
                    while (at < n) {
                        long ino = b.getLong(at);
                        long off = b.getLong(at + 8);
                        int reclen = b.getShort(at + 16) & 0xFFFF;
                        int type = b.get(at + 18) & 0xFF;
                        int nameEnd = at + D_NAME;
                        while (nameEnd < at + reclen && buf[nameEnd] != 0) {
                            nameEnd++;
                        }
                        byte[] name = Arrays.copyOfRange(buf, at + D_NAME, nameEnd);
                        if (!emit(r, dir, plus, ino, off, type, name)) {
                            full = true;
                            break;
                        }
                        at += reclen;
                    }
                }
            }
            return r.finish(req.unique);
        }
    }

    /** The entry for READDIRPLUS, or null when it is gone since getdents or not ours to show (then listed with nodeid 0). */
    private Share.Looked lookupQuietly(InodeTable.Use dir, byte[] name) {
        try {
            return share.lookup(dir, name);
        } catch (FsErrnoException e) {
            return null;
        }
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    /** Appends one entry if it fits; false when it does not (the guest asks again from this entry's offset). */
    private boolean emit(FuseReply r, InodeTable.Use dir, boolean plus, long ino, long off, int type, byte[] name) {
        int direntBytes = align8(DIRENT_HEADER_BYTES + name.length);
        int needed = (plus ? ENTRY_OUT_BYTES : 0) + direntBytes;
        if (needed > r.room()) {
            return false;
        }
        if (plus) {
            boolean dots = name.length <= 2 && name[0] == '.' && (name.length == 1 || name[1] == '.');
            Share.Looked looked = dots ? null : lookupQuietly(dir, name);
            if (looked == null) {
                r.zeros(ENTRY_OUT_BYTES);
            } else {
                share.entryReply(r, looked);
                type = looked.stat().type() >> 12;
                looked.close();
            }
        }
        r.u64(ino).u64(off).u32(name.length).u32(type).bytes(name, 0, name.length).zeros(direntBytes - DIRENT_HEADER_BYTES - name.length);
        return true;
    }
}
