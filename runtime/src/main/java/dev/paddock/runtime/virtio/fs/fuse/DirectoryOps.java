package dev.paddock.runtime.virtio.fs.fuse;

import static dev.paddock.runtime.virtio.fs.fuse.FuseProtocol.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * OPENDIR, READDIR, READDIRPLUS, RELEASEDIR and FSYNCDIR.
 *
 * <p>OPENDIR is answered ENOSYS. A Linux guest (5.1+, fc->no_opendir) then stops sending OPENDIR and RELEASEDIR
 * for the whole mount, gives each open directory fh 0, and caches listings itself (FOPEN_KEEP_CACHE |
 * FOPEN_CACHE_DIR, its default without opendir): it reads a listing again when the directory's mtime changed
 * (it compares at every rewind; with AUTO_INVAL_DATA, negotiated where the host does not invalidate, it first
 * refreshes the attributes if they have expired; where the host does, the agent's forced statx of a changed
 * directory brings the new mtime).
 * That saves two round trips per opendir(3) and one or more READDIRs per listing, which is most of what `git
 * status`'s untracked-file scan costs over the share.
 *
 * <p>So nothing is remembered between calls: each READDIR opens the directory afresh from its inode, seeks to the
 * guest's offset (a d_off cookie we handed out, or 0), reads host linux_dirent64 records and turns as many as fit
 * into fuse_dirent(plus) records, each carrying the host d_off as its offset.
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
        throw new FsErrnoException(Errno.ENOSYS, "OPENDIR: directories are read without handles (fc->no_opendir)");
    }

    /** RELEASEDIR: there are no directory handles (see OPENDIR); a guest that sends one anyway is told OK. */
    byte[] releasedir(FuseRequest req) {
        return FuseReply.empty().finish(req.unique);
    }

    /** FSYNCDIR: the directory opened afresh from its inode and synced. */
    byte[] fsyncdir(FuseRequest req) throws FsErrnoException {
        req.skip(8, "fh");
        int flags = req.u32("fsync_flags");
        try (InodeTable.Use dir = share.inodes.use(req.nodeId)) {
            if (!share.readOnly) {
                int fd = open(dir);
                try {
                    HostFs.sync(fd, (flags & FSYNC_FDATASYNC) != 0);
                } finally {
                    HostFs.close(fd);
                }
            }
            return FuseReply.empty().finish(req.unique);
        }
    }

    private static int open(InodeTable.Use dir) throws FsErrnoException {
        if (!dir.inode.isDirectory()) {
            throw new FsErrnoException(Errno.ENOTDIR, "a directory operation on a non-directory");
        }
        return HostFs.reopen(dir.fd(), true, HostLibC.O_RDONLY);
    }

    byte[] readdir(FuseRequest req, boolean plus) throws FsErrnoException {
        req.skip(8, "fh"); // 0 from a guest without opendir; any other value names nothing here
        long offset = req.u64("offset");
        int size = req.u32("size");
        // GUEST-CONTROLLED: the reply is at most max_read bytes.
        if (size < 0 || size > MAX_IO_BYTES) {
            throw new FsErrnoException(Errno.EINVAL, "readdir of " + Integer.toUnsignedString(size) + " bytes");
        }
        try (InodeTable.Use dir = share.inodes.use(req.nodeId)) {
            FuseReply r = new FuseReply(size);
            int fd = open(dir);
            try {
                // GUEST-CONTROLLED: the offset is a cookie; the host file system refuses ones it never made.
                HostFs.seek(fd, offset, 0);
                byte[] buf = new byte[Math.min(HOST_BUFFER, Math.max(size, 512))];
                boolean full = false;
                while (!full) {
                    int n = HostFs.readDirectory(fd, buf);
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
            } finally {
                HostFs.close(fd);
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
