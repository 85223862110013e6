package dev.paddock.runtime.virtio.fs.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest kernel's side of FUSE, for tests: builds requests as Linux's fs/fuse does (fuse_in_header plus the
 * op's input), hands them to a {@link FuseServer} and decodes the replies. No VM, no virtqueue.
 */
final class FuseTestDriver {
    static final int UID = 1000;
    static final int GID = 1000;

    private final FuseServer server;
    private long unique = 1;
    int uid = UID;
    int gid = GID;

    FuseTestDriver(FuseServer server) {
        this.server = server;
    }

    /** A decoded reply; {@code error} is the (positive) errno, 0 for success. */
    record Reply(int error, long unique, ByteBuffer body) {
        Reply ok() {
            assertThat(error).as("errno of the reply").isZero();
            return this;
        }

        int u32() {
            return body.getInt();
        }

        long u64() {
            return body.getLong();
        }

        byte[] rest() {
            byte[] b = new byte[body.remaining()];
            body.get(b);
            return b;
        }
    }

    record Attr(long ino, long size, long blocks, long atime, long mtime, long ctime, int mode, int nlink, int uid,
                int gid, int rdev) {
        static Attr read(ByteBuffer b) {
            long ino = b.getLong();
            long size = b.getLong();
            long blocks = b.getLong();
            long atime = b.getLong();
            long mtime = b.getLong();
            long ctime = b.getLong();
            b.getInt();
            b.getInt();
            b.getInt();
            int mode = b.getInt();
            int nlink = b.getInt();
            int uid = b.getInt();
            int gid = b.getInt();
            int rdev = b.getInt();
            b.getInt();
            b.getInt();
            return new Attr(ino, size, blocks, atime, mtime, ctime, mode, nlink, uid, gid, rdev);
        }

        boolean isDirectory() {
            return (mode & 0170000) == 0040000;
        }

        boolean isSymlink() {
            return (mode & 0170000) == 0120000;
        }
    }

    record Entry(long nodeId, long entryValidSeconds, long attrValidSeconds, Attr attr) {
        static Entry read(ByteBuffer b) {
            long node = b.getLong();
            b.getLong();
            long entryValid = b.getLong();
            long attrValid = b.getLong();
            b.getInt();
            b.getInt();
            return new Entry(node, entryValid, attrValid, Attr.read(b));
        }
    }

    record Dirent(long ino, long off, int type, String name, Entry entry) {
    }

    /** Body builder: little-endian fields and NUL-terminated names. */
    static final class Body {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Body u32(int v) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v);
            out.writeBytes(b.array());
            return this;
        }

        Body u64(long v) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
            out.writeBytes(b.array());
            return this;
        }

        Body name(String s) {
            return raw(s.getBytes(StandardCharsets.UTF_8)).raw(new byte[] {0});
        }

        Body raw(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    static Body body() {
        return new Body();
    }

    /** The raw request bytes, as the guest's fuse would put them in a virtqueue's readable buffers. */
    ByteBuffer request(int opcode, long nodeId, byte[] body) {
        ByteBuffer b = ByteBuffer.allocate(FuseProtocol.IN_HEADER_BYTES + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(FuseProtocol.IN_HEADER_BYTES + body.length).putInt(opcode).putLong(unique++).putLong(nodeId)
                .putInt(uid).putInt(gid).putInt(4242).putInt(0).put(body);
        return b.flip();
    }

    Reply call(int opcode, long nodeId, Body body) {
        return send(request(opcode, nodeId, body.bytes()));
    }

    Reply send(ByteBuffer request) {
        long sentUnique = request.getLong(8);
        byte[] raw = server.handle(request);
        assertThat(raw).as("reply to opcode %d", request.getInt(4)).isNotNull();
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt(0)).as("out header len").isEqualTo(raw.length);
        int error = b.getInt(4);
        assertThat(error).as("error is 0 or a negative errno").isLessThanOrEqualTo(0);
        assertThat(b.getLong(8)).as("unique echoed").isEqualTo(sentUnique);
        b.position(FuseProtocol.OUT_HEADER_BYTES);
        return new Reply(-error, sentUnique, b.slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** A request that must have no reply (FORGET, BATCH_FORGET, INTERRUPT). */
    void sendNoReply(int opcode, long nodeId, Body body) {
        assertThat(server.handle(request(opcode, nodeId, body.bytes()))).isNull();
    }

    Reply init() {
        // Linux 6.1 sends a 64-byte fuse_init_in (7.36+: flags2 and unused words after the 7.31 fields).
        Body b = body().u32(7).u32(37).u32(128 * 1024).u32(0xFFFF_FFFF).u32(0);
        for (int i = 0; i < 11; i++) {
            b.u32(0);
        }
        return call(FuseOpcode.INIT, 0, b);
    }

    Reply lookupReply(long parent, String name) {
        return call(FuseOpcode.LOOKUP, parent, body().name(name));
    }

    Entry lookup(long parent, String name) {
        Entry e = Entry.read(lookupReply(parent, name).ok().body());
        assertThat(e.nodeId()).as("nodeid of %s", name).isNotZero();
        return e;
    }

    Reply getattrReply(long node) {
        return call(FuseOpcode.GETATTR, node, body().u32(0).u32(0).u64(0));
    }

    Attr getattr(long node) {
        Reply r = call(FuseOpcode.GETATTR, node, body().u32(0).u32(0).u64(0)).ok();
        r.u64();
        r.u64();
        return Attr.read(r.body());
    }

    Reply mkdirReply(long parent, String name, int mode) {
        return call(FuseOpcode.MKDIR, parent, body().u32(mode).u32(022).name(name));
    }

    Entry mkdir(long parent, String name) {
        return Entry.read(mkdirReply(parent, name, 0755).ok().body());
    }

    Reply createReply(long parent, String name, int flags, int mode) {
        return call(FuseOpcode.CREATE, parent, body().u32(flags).u32(mode).u32(022).u32(0).name(name));
    }

    /** CREATE: the entry and the fh. */
    record Created(Entry entry, long fh) {
    }

    Created create(long parent, String name) {
        ByteBuffer b = createReply(parent, name, 0102 /* O_RDWR|O_CREAT */, 0100644).ok().body();
        Entry e = Entry.read(b);
        return new Created(e, b.getLong());
    }

    Reply openReply(long node, int flags) {
        return call(FuseOpcode.OPEN, node, body().u32(flags).u32(0));
    }

    /** What a guest's kernel does: OPEN, ENOSYS, then fh 0 for every file and no RELEASE (fc->no_open). */
    long open(long node, int flags) {
        assertThat(openReply(node, flags).error()).as("OPEN").isEqualTo(Errno.ENOSYS);
        return 0;
    }

    Reply writeReply(long node, long fh, long offset, byte[] data) {
        return writeReply(node, fh, offset, data, 0);
    }

    /** WRITE with fuse_write_in.flags, the guest file's open flags. */
    Reply writeReply(long node, long fh, long offset, byte[] data, int flags) {
        return call(FuseOpcode.WRITE, node, body().u64(fh).u64(offset).u32(data.length).u32(0).u64(0).u32(flags).u32(0).raw(data));
    }

    int write(long node, long fh, long offset, byte[] data) {
        return writeReply(node, fh, offset, data).ok().u32();
    }

    Reply readReply(long node, long fh, long offset, int size) {
        return call(FuseOpcode.READ, node, body().u64(fh).u64(offset).u32(size).u32(0).u64(0).u32(0).u32(0));
    }

    byte[] read(long node, long fh, long offset, int size) {
        return readReply(node, fh, offset, size).ok().rest();
    }

    Reply release(long node, long fh) {
        return call(FuseOpcode.RELEASE, node, body().u64(fh).u32(0).u32(0).u64(0));
    }

    Reply releasedir(long node, long fh) {
        return call(FuseOpcode.RELEASEDIR, node, body().u64(fh).u32(0).u32(0).u64(0));
    }

    void forget(long node, long count) {
        sendNoReply(FuseOpcode.FORGET, node, body().u64(count));
    }

    /** What a guest's kernel does: OPENDIR once, ENOSYS, then fh 0 for every directory (fc->no_opendir). */
    long opendir(long node) {
        assertThat(call(FuseOpcode.OPENDIR, node, body().u32(0).u32(0)).error()).as("OPENDIR").isEqualTo(Errno.ENOSYS);
        return 0;
    }

    Reply readdirReply(long node, long fh, long offset, int size, boolean plus) {
        return call(plus ? FuseOpcode.READDIRPLUS : FuseOpcode.READDIR, node,
                body().u64(fh).u64(offset).u32(size).u32(0).u64(0).u32(0).u32(0));
    }

    /** Reads a whole directory with the given reply size, following offsets as the kernel does. */
    List<Dirent> readdirAll(long node, boolean plus, int size) {
        long fh = opendir(node);
        List<Dirent> all = new ArrayList<>();
        long offset = 0;
        while (true) {
            ByteBuffer b = readdirReply(node, fh, offset, size, plus).ok().body();
            if (!b.hasRemaining()) {
                break;
            }
            while (b.hasRemaining()) {
                Entry entry = plus ? Entry.read(b) : null;
                long ino = b.getLong();
                long off = b.getLong();
                int namelen = b.getInt();
                int type = b.getInt();
                byte[] name = new byte[namelen];
                b.get(name);
                b.position((b.position() + 7) & ~7);
                all.add(new Dirent(ino, off, type, new String(name, StandardCharsets.UTF_8), entry));
                offset = off;
            }
        }
        releasedir(node, fh).ok();
        return all;
    }

    Reply setattr(long node, int valid, long fh, long size, long atime, long mtime, int mode, int uid, int gid) {
        return call(FuseOpcode.SETATTR, node, body().u32(valid).u32(0).u64(fh).u64(size).u64(0).u64(atime).u64(mtime)
                .u64(0).u32(0).u32(0).u32(0).u32(mode).u32(0).u32(uid).u32(gid).u32(0));
    }

    Reply symlinkReply(long parent, String name, String target) {
        return call(FuseOpcode.SYMLINK, parent, body().name(name).name(target));
    }

    Reply unlink(long parent, String name) {
        return call(FuseOpcode.UNLINK, parent, body().name(name));
    }

    Reply rename(long parent, String from, long newParent, String to) {
        return call(FuseOpcode.RENAME, parent, body().u64(newParent).name(from).name(to));
    }

    Reply linkReply(long oldNode, long newParent, String name) {
        return call(FuseOpcode.LINK, newParent, body().u64(oldNode).name(name));
    }
}
