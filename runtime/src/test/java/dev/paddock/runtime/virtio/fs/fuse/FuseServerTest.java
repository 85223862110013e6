package dev.paddock.runtime.virtio.fs.fuse;

import static dev.paddock.runtime.virtio.fs.fuse.FuseTestDriver.body;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.paddock.runtime.virtio.fs.fuse.FuseTestDriver.Attr;
import dev.paddock.runtime.virtio.fs.fuse.FuseTestDriver.Created;
import dev.paddock.runtime.virtio.fs.fuse.FuseTestDriver.Dirent;
import dev.paddock.runtime.virtio.fs.fuse.FuseTestDriver.Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every FUSE operation the server implements, through {@link FuseTestDriver}, against a real host directory. */
class FuseServerTest {
    @TempDir
    Path dir;
    Path share;
    FuseServer server;
    FuseTestDriver fuse;

    @BeforeEach
    void start() throws IOException {
        share = Files.createDirectory(dir.resolve("share"));
        Files.writeString(share.resolve("hello.txt"), "hello, world\n");
        Files.createDirectory(share.resolve("src"));
        Files.writeString(share.resolve("src/Main.java"), "class Main {}\n");
        server = FuseServer.open(share, false, FuseTestDriver.UID, FuseTestDriver.GID, CacheTimeouts.DEFAULT);
        fuse = new FuseTestDriver(server);
        fuse.init().ok();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void initNegotiates731AndTheFlagsWeOffer() throws IOException {
        FuseServer fresh = FuseServer.open(share, false, 1000, 1000, CacheTimeouts.DEFAULT);
        try {
            FuseTestDriver d = new FuseTestDriver(fresh);
            assertThat(d.lookupReply(1, "hello.txt").error()).as("before INIT").isEqualTo(Errno.EIO);
            FuseTestDriver.Reply r = d.init().ok();
            assertThat(r.u32()).isEqualTo(7);
            assertThat(r.u32()).isEqualTo(31);
            assertThat(r.u32()).isEqualTo(128 * 1024);
            int flags = r.u32();
            assertThat(flags & FuseProtocol.DO_READDIRPLUS).isNotZero();
            assertThat(flags & FuseProtocol.AUTO_INVAL_DATA).isNotZero();
            assertThat(flags & (1 << 4)).as("no EXPORT_SUPPORT (it would send \"..\" lookups)").isZero();
            assertThat(flags & (1 << 16)).as("no WRITEBACK_CACHE").isZero();
            assertThat(flags & FuseProtocol.ATOMIC_O_TRUNC).as("no ATOMIC_O_TRUNC: O_TRUNC comes as SETATTR, OPEN never").isZero();
            r.body().getShort();
            r.body().getShort();
            assertThat(r.u32()).as("max_write").isEqualTo(FuseProtocol.MAX_IO_BYTES);
            assertThat(r.body().limit()).isEqualTo(FuseProtocol.INIT_OUT_BYTES);
            assertThat(d.init().error()).as("INIT twice").isEqualTo(Errno.EIO);
        } finally {
            fresh.close();
        }
    }
    @Test
    void aShareTheHostInvalidatesLeavesOutAutoInvalData() throws IOException {
        try (FuseServer invalidated = FuseServer.open(share, false, 1000, 1000, CacheTimeouts.DEFAULT, true)) {
            FuseTestDriver.Reply r = new FuseTestDriver(invalidated).init().ok();
            r.u32();
            r.u32();
            r.u32();
            int flags = r.u32();
            assertThat(flags & FuseProtocol.AUTO_INVAL_DATA).as("the guest's own writes must not drop its pages").isZero();
            assertThat(flags & FuseProtocol.DO_READDIRPLUS).as("the other flags as without").isNotZero();
        }
    }


    @Test
    void initRefusesAnotherMajorVersion() throws IOException {
        try (FuseServer fresh = FuseServer.open(share, false, 1000, 1000, CacheTimeouts.DEFAULT)) {
            FuseTestDriver d = new FuseTestDriver(fresh);
            assertThat(d.call(FuseOpcode.INIT, 0, body().u32(8).u32(0).u32(0).u32(0)).error()).isEqualTo(Errno.EPROTO);
            assertThat(d.call(FuseOpcode.INIT, 0, body().u32(7).u32(12).u32(0).u32(0)).error()).isEqualTo(Errno.EPROTO);
        }
    }

    @Test
    void lookupGivesTheSameNodeForTheSameFileAndCountsLookups() {
        Entry a = fuse.lookup(1, "hello.txt");
        Entry b = fuse.lookup(1, "hello.txt");
        assertThat(a.nodeId()).isEqualTo(b.nodeId()).isNotEqualTo(1);
        assertThat(a.attr().size()).isEqualTo(13);
        assertThat(a.entryValidSeconds()).isEqualTo(1);
        assertThat(a.attrValidSeconds()).isEqualTo(1);
        assertThat(a.attr().uid()).as("host owner (root here) reads as the agent").isEqualTo(FuseTestDriver.UID);
        assertThat(server.inodeCount()).isEqualTo(2);
        fuse.forget(a.nodeId(), 1);
        assertThat(server.inodeCount()).isEqualTo(2);
        fuse.forget(a.nodeId(), 1);
        assertThat(server.inodeCount()).isEqualTo(1);
        assertThat(fuse.getattrReply(a.nodeId()).error()).as("forgotten").isEqualTo(Errno.EBADF);
    }

    @Test
    void lookupOfAMissingNameIsACachedNegativeEntry() {
        FuseTestDriver.Reply r = fuse.lookupReply(1, "nope").ok();
        Entry e = Entry.read(r.body());
        assertThat(e.nodeId()).isZero();
        assertThat(e.entryValidSeconds()).isEqualTo(1);
    }

    @Test
    void whileTheHostIsWatchedTheGuestMayCacheForAnHour() {
        assertThat(server.cacheTimeouts()).isEqualTo(CacheTimeouts.DEFAULT);
        server.cacheTimeouts(CacheTimeouts.HOST_INVALIDATED);
        Entry e = fuse.lookup(1, "hello.txt");
        assertThat(e.entryValidSeconds()).isEqualTo(3600);
        assertThat(e.attrValidSeconds()).isEqualTo(3600);
        assertThat(Entry.read(fuse.lookupReply(1, "nope").ok().body()).entryValidSeconds()).as("negative too").isEqualTo(3600);
        FuseTestDriver.Reply attr = fuse.getattrReply(e.nodeId()).ok();
        assertThat(attr.u64()).as("attr_valid").isEqualTo(3600);
        server.cacheTimeouts(CacheTimeouts.DEFAULT);
        assertThat(fuse.lookup(1, "hello.txt").entryValidSeconds()).isEqualTo(1);
    }

    @Test
    void whileWatchedAPathWhoseNameTheHostReplacedOrRemovedIsStale() throws IOException {
        Entry hello = fuse.lookup(1, "hello.txt");
        Entry main = fuse.lookup(fuse.lookup(1, "src").nodeId(), "Main.java");
        Files.writeString(share.resolve("new.txt"), "an editor's save\n");
        Files.move(share.resolve("new.txt"), share.resolve("hello.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(fuse.getattrReply(hello.nodeId()).error()).as("1 s mode: no check").isZero();

        server.ownChanges().watching(true); // what a ShareWatcher's start does
        assertThat(fuse.getattrReply(hello.nodeId()).error()).as("replaced on the host").isEqualTo(Errno.ESTALE);
        assertThat(fuse.call(FuseOpcode.GETATTR, hello.nodeId(), body().u32(FuseProtocol.GETATTR_FH).u32(0).u64(0)).error())
                .as("through an open file the old inode is still what the guest has").isZero();
        Entry again = fuse.lookup(1, "hello.txt");
        assertThat(again.nodeId()).as("the guest's LOOKUP_REVAL finds the new file").isNotEqualTo(hello.nodeId());
        assertThat(fuse.getattrReply(again.nodeId()).error()).isZero();

        assertThat(fuse.getattrReply(main.nodeId()).error()).isZero();
        Files.delete(share.resolve("src/Main.java"));
        assertThat(fuse.getattrReply(main.nodeId()).error()).as("removed on the host").isEqualTo(Errno.ESTALE);

        // the guest's own rename keeps its inode reachable under the new name
        fuse.rename(1, "hello.txt", 1, "renamed.txt").ok();
        assertThat(fuse.getattrReply(again.nodeId()).error()).isZero();
        assertThat(fuse.getattrReply(1).error()).as("the root has no name to check").isZero();
    }

    @Test
    void batchForgetDropsSeveralInodes() {
        Entry a = fuse.lookup(1, "hello.txt");
        Entry b = fuse.lookup(1, "src");
        fuse.sendNoReply(FuseOpcode.BATCH_FORGET, 0, body().u32(2).u32(0).u64(a.nodeId()).u64(1).u64(b.nodeId()).u64(1));
        assertThat(server.inodeCount()).isEqualTo(1);
    }

    @Test
    void getattrOfTheRoot() {
        Attr root = fuse.getattr(1);
        assertThat(root.isDirectory()).isTrue();
        assertThat(root.nlink()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void setattrChangesModeSizeTimesAndOwnerOnlyToTheAgent() throws IOException {
        Entry e = fuse.lookup(1, "hello.txt");
        long node = e.nodeId();
        fuse.setattr(node, FuseProtocol.FATTR_MODE, 0, 0, 0, 0, 0100600, 0, 0).ok();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(share.resolve("hello.txt")))).isEqualTo("rw-------");
        fuse.setattr(node, FuseProtocol.FATTR_SIZE, 0, 5, 0, 0, 0, 0, 0).ok();
        assertThat(Files.readString(share.resolve("hello.txt"))).isEqualTo("hello");
        fuse.setattr(node, FuseProtocol.FATTR_MTIME | FuseProtocol.FATTR_ATIME, 0, 0, 1_000_000, 2_000_000, 0, 0, 0).ok();
        assertThat(Files.getLastModifiedTime(share.resolve("hello.txt")).toMillis()).isEqualTo(2_000_000_000L);
        assertThat(fuse.getattr(node).mtime()).isEqualTo(2_000_000);
        fuse.setattr(node, FuseProtocol.FATTR_UID | FuseProtocol.FATTR_GID, 0, 0, 0, 0, 0, FuseTestDriver.UID, FuseTestDriver.GID).ok();
        assertThat(fuse.setattr(node, FuseProtocol.FATTR_UID, 0, 0, 0, 0, 0, 4321, 0).error()).isEqualTo(Errno.EPERM);
        long fh = fuse.open(node, 2);
        fuse.setattr(node, FuseProtocol.FATTR_SIZE | FuseProtocol.FATTR_FH, fh, 2, 0, 0, 0, 0, 0).ok();
        assertThat(Files.size(share.resolve("hello.txt"))).isEqualTo(2);
        assertThat(fuse.setattr(node, FuseProtocol.FATTR_MTIME, 0, 0, 0, 5, 0, 0, 0).error()).isZero();
    }

    @Test
    void readlinkAndSymlinkKeepTheTargetAsText() throws IOException {
        FuseTestDriver.Reply r = fuse.symlinkReply(1, "link", "../../etc/passwd").ok();
        Entry e = Entry.read(r.body());
        assertThat(e.attr().isSymlink()).isTrue();
        assertThat(Files.readSymbolicLink(share.resolve("link")).toString()).isEqualTo("../../etc/passwd");
        FuseTestDriver.Reply target = fuse.call(FuseOpcode.READLINK, e.nodeId(), body()).ok();
        assertThat(new String(target.rest(), StandardCharsets.UTF_8)).isEqualTo("../../etc/passwd");
        assertThat(fuse.call(FuseOpcode.READLINK, fuse.lookup(1, "hello.txt").nodeId(), body()).error()).isEqualTo(Errno.EINVAL);
    }

    @Test
    void mknodMakesRegularFilesAndFifosOnly() {
        Entry fifo = Entry.read(fuse.call(FuseOpcode.MKNOD, 1, body().u32(0010644).u32(0).u32(022).u32(0).name("pipe")).ok().body());
        assertThat(fifo.attr().mode() & 0170000).isEqualTo(0010000);
        Entry reg = Entry.read(fuse.call(FuseOpcode.MKNOD, 1, body().u32(0100644).u32(0).u32(022).u32(0).name("plain")).ok().body());
        assertThat(reg.attr().mode() & 0170000).isEqualTo(0100000);
        assertThat(fuse.call(FuseOpcode.MKNOD, 1, body().u32(0020644).u32(0x0103).u32(022).u32(0).name("null")).error())
                .as("character device").isEqualTo(Errno.EPERM);
        assertThat(fuse.call(FuseOpcode.MKNOD, 1, body().u32(0060644).u32(0x0801).u32(022).u32(0).name("sda")).error())
                .as("block device").isEqualTo(Errno.EPERM);
        assertThat(fuse.openReply(fifo.nodeId(), 0).error()).as("fifos are not opened on the host").isEqualTo(Errno.ENXIO);
    }

    @Test
    void mkdirRmdirUnlink() {
        Entry d = fuse.mkdir(1, "build");
        assertThat(d.attr().isDirectory()).isTrue();
        assertThat(Files.isDirectory(share.resolve("build"))).isTrue();
        assertThat(fuse.mkdirReply(1, "build", 0755).error()).isEqualTo(Errno.EEXIST);
        assertThat(fuse.call(FuseOpcode.RMDIR, 1, body().name("src")).error()).isEqualTo(Errno.ENOTEMPTY);
        fuse.call(FuseOpcode.RMDIR, 1, body().name("build")).ok();
        assertThat(Files.exists(share.resolve("build"))).isFalse();
        fuse.unlink(1, "hello.txt").ok();
        assertThat(Files.exists(share.resolve("hello.txt"))).isFalse();
        assertThat(fuse.unlink(1, "hello.txt").error()).isEqualTo(Errno.ENOENT);
    }

    @Test
    void renameAndRename2() throws IOException {
        Entry src = fuse.lookup(1, "src");
        fuse.rename(1, "hello.txt", src.nodeId(), "moved.txt").ok();
        assertThat(Files.readString(share.resolve("src/moved.txt"))).isEqualTo("hello, world\n");
        Files.writeString(share.resolve("other.txt"), "other");
        assertThat(fuse.call(FuseOpcode.RENAME2, src.nodeId(), body().u64(1).u32(1).u32(0).name("moved.txt").name("other.txt")).error())
                .as("RENAME_NOREPLACE").isEqualTo(Errno.EEXIST);
        fuse.call(FuseOpcode.RENAME2, src.nodeId(), body().u64(1).u32(2).u32(0).name("moved.txt").name("other.txt")).ok();
        assertThat(Files.readString(share.resolve("other.txt"))).isEqualTo("hello, world\n");
        assertThat(Files.readString(share.resolve("src/moved.txt"))).isEqualTo("other");
        assertThat(fuse.call(FuseOpcode.RENAME2, 1, body().u64(1).u32(4).u32(0).name("other.txt").name("x")).error())
                .as("RENAME_WHITEOUT").isEqualTo(Errno.EINVAL);
    }

    @Test
    void linkMakesAHardLink() throws IOException {
        Entry file = fuse.lookup(1, "hello.txt");
        Entry link = Entry.read(fuse.linkReply(file.nodeId(), 1, "again.txt").ok().body());
        assertThat(link.nodeId()).isEqualTo(file.nodeId());
        assertThat(link.attr().nlink()).isEqualTo(2);
        assertThat(Files.readString(share.resolve("again.txt"))).isEqualTo("hello, world\n");
        assertThat(fuse.linkReply(fuse.lookup(1, "src").nodeId(), 1, "dirlink").error()).isEqualTo(Errno.EPERM);
        Entry sym = Entry.read(fuse.symlinkReply(1, "sym", "hello.txt").ok().body());
        fuse.linkReply(sym.nodeId(), 1, "sym2").ok();
        assertThat(Files.isSymbolicLink(share.resolve("sym2"))).as("a link to a symlink is the symlink itself").isTrue();
    }

    @Test
    void openIsEnosysSoFilesAreReadAndWrittenByNodeid() throws IOException {
        long node = fuse.lookup(1, "hello.txt").nodeId();
        long before = openFds();
        for (int flags : new int[] {0, 1, 2, 01001 /* O_WRONLY|O_TRUNC */, 02002 /* O_RDWR|O_APPEND */, 3}) {
            assertThat(fuse.openReply(node, flags).error()).as("OPEN with flags 0%s", Integer.toOctalString(flags))
                    .isEqualTo(Errno.ENOSYS);
        }
        assertThat(Files.readString(share.resolve("hello.txt"))).as("OPEN truncates nothing").isEqualTo("hello, world\n");
        assertThat(new String(fuse.read(node, 0, 7, 100), StandardCharsets.UTF_8)).isEqualTo("world\n");
        assertThat(fuse.write(node, 0, 0, "HELLO".getBytes(StandardCharsets.UTF_8))).isEqualTo(5);
        assertThat(fuse.call(FuseOpcode.FLUSH, node, body().u64(0).u32(0).u32(0).u64(0)).error())
                .as("FLUSH: nothing to flush, so the guest is told to stop sending it").isEqualTo(Errno.ENOSYS);
        fuse.call(FuseOpcode.FSYNC, node, body().u64(0).u32(1).u32(0)).ok();
        fuse.call(FuseOpcode.FSYNC, node, body().u64(0).u32(0).u32(0)).ok();
        assertThat(fuse.call(FuseOpcode.LSEEK, node, body().u64(0).u64(0).u32(2 /* SEEK_END */).u32(0)).ok().u64()).isEqualTo(13);
        fuse.call(FuseOpcode.FALLOCATE, node, body().u64(0).u64(0).u64(100).u32(0).u32(0)).ok();
        assertThat(Files.size(share.resolve("hello.txt"))).isEqualTo(100);
        fuse.setattr(node, FuseProtocol.FATTR_SIZE | FuseProtocol.FATTR_FH, 0, 13, 0, 0, 0, 0, 0).ok(); // ftruncate
        assertThat(Files.readString(share.resolve("hello.txt"))).isEqualTo("HELLO, world\n");
        assertThat(server.handleCount()).as("no handles").isZero();
        assertThat(openFds()).as("each request's own fd closed").isEqualTo(before);
        fuse.release(node, 0).ok();
        assertThat(fuse.openReply(fuse.lookup(1, "src").nodeId(), 0).error()).isEqualTo(Errno.EISDIR);
        assertThat(fuse.openReply(999_999, 0).error()).isEqualTo(Errno.EBADF);
    }

    @Test
    void byNodeidOnlyRegularFilesAreOpenedOnTheHost() {
        Entry fifo = Entry.read(fuse.call(FuseOpcode.MKNOD, 1, body().u32(0010644).u32(0).u32(022).u32(0).name("pipe")).ok().body());
        Entry sym = Entry.read(fuse.symlinkReply(1, "sym", "hello.txt").ok().body());
        long dir = fuse.lookup(1, "src").nodeId();
        for (long node : new long[] {1, dir, fifo.nodeId(), sym.nodeId()}) {
            int errno = node == 1 || node == dir ? Errno.EISDIR : Errno.ENXIO;
            assertThat(fuse.readReply(node, 0, 0, 10).error()).as("READ of %d", node).isEqualTo(errno);
            assertThat(fuse.writeReply(node, 0, 0, new byte[] {1}).error()).as("WRITE").isEqualTo(errno);
            assertThat(fuse.call(FuseOpcode.FSYNC, node, body().u64(0).u32(0).u32(0)).error()).as("FSYNC").isEqualTo(errno);
            assertThat(fuse.call(FuseOpcode.LSEEK, node, body().u64(0).u64(0).u32(0).u32(0)).error()).as("LSEEK").isEqualTo(errno);
            assertThat(fuse.call(FuseOpcode.FALLOCATE, node, body().u64(0).u64(0).u64(10).u32(0).u32(0)).error())
                    .as("FALLOCATE").isEqualTo(errno);
        }
        assertThat(fuse.readReply(999_999, 0, 0, 10).error()).as("an unknown nodeid").isEqualTo(Errno.EBADF);
    }

    @Test
    void aWriteWithOAppendInItsFlagsAppends() throws IOException {
        long node = fuse.lookup(1, "hello.txt").nodeId();
        fuse.writeReply(node, 0, 0, "one\n".getBytes(StandardCharsets.UTF_8), 02001 /* O_WRONLY|O_APPEND */).ok();
        fuse.writeReply(node, 0, 3, "two\n".getBytes(StandardCharsets.UTF_8), 02002 | 04010000 /* O_SYNC */).ok();
        assertThat(Files.readString(share.resolve("hello.txt"))).isEqualTo("hello, world\none\ntwo\n");

        ByteBuffer b = fuse.createReply(1, "log", 02102 /* O_RDWR|O_CREAT|O_APPEND */, 0100644).ok().body();
        long log = Entry.read(b).nodeId();
        long fh = b.getLong();
        fuse.writeReply(log, fh, 0, "a".getBytes(StandardCharsets.UTF_8), 02002).ok();
        fuse.writeReply(log, fh, 0, "b".getBytes(StandardCharsets.UTF_8), 02002).ok();
        assertThat(Files.readString(share.resolve("log"))).isEqualTo("ab");
        fuse.writeReply(log, fh, 0, "A".getBytes(StandardCharsets.UTF_8), 0).ok(); // fcntl cleared O_APPEND, or mmap's writeback
        assertThat(Files.readString(share.resolve("log"))).isEqualTo("Ab");
        Created plain = fuse.create(1, "plain");
        fuse.write(plain.entry().nodeId(), plain.fh(), 0, "x".getBytes(StandardCharsets.UTF_8));
        fuse.writeReply(plain.entry().nodeId(), plain.fh(), 0, "y".getBytes(StandardCharsets.UTF_8), 02002).ok(); // fcntl set it
        assertThat(Files.readString(share.resolve("plain"))).isEqualTo("xy");
    }

    @Test
    void aFileCreated0444IsWrittenThroughItsHandleAndOnlyThere() throws Exception {
        // git's object files: open(O_RDWR | O_CREAT | O_EXCL, 0444), then written. The server here is root, which may
        // open anything; a thread with fsuid 1000 (which also drops CAP_DAC_OVERRIDE) stands in for a server that is not.
        ByteBuffer b = fuse.createReply(1, "obj", 0302 /* O_RDWR|O_CREAT|O_EXCL */, 0100444).ok().body();
        long node = Entry.read(b).nodeId();
        long fh = b.getLong();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(share.resolve("obj")))).isEqualTo("r--r--r--");
        int[] errors = asUnprivilegedHostUser(() -> new int[] {
            fuse.writeReply(node, fh, 0, "blob".getBytes(StandardCharsets.UTF_8)).error(),
            fuse.writeReply(node, 0, 0, "BLOB".getBytes(StandardCharsets.UTF_8)).error(),
            fuse.readReply(node, 0, 0, 10).error(),
            fuse.readReply(node, fh, 0, 10).error()});
        assertThat(errors[0]).as("through CREATE's fd").isZero();
        assertThat(errors[1]).as("by nodeid: the host's permission bits apply, as they did to OPEN").isEqualTo(Errno.EACCES);
        assertThat(errors[2]).isZero();
        assertThat(errors[3]).isZero();
        assertThat(Files.readString(share.resolve("obj"))).isEqualTo("blob");
    }

    private interface Fsuid extends Library {
        int setfsuid(int uid);
    }

    /** Runs {@code body} on a thread whose file-system uid is 1000: opens on the host are checked as for that user. */
    private static int[] asUnprivilegedHostUser(Supplier<int[]> body) throws Exception {
        Fsuid libc = Native.load("c", Fsuid.class);
        AtomicReference<int[]> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            libc.setfsuid(1000); // per thread (setfsuid(2))
            try {
                result.set(body.get());
            } finally {
                libc.setfsuid(0);
            }
        });
        t.start();
        t.join();
        assertThat(result.get()).as("the body ran").isNotNull();
        return result.get();
    }

    @Test
    void largeReadsAndWritesUpToMaxWrite() throws IOException {
        Created c = fuse.create(1, "big.bin");
        byte[] data = new byte[FuseProtocol.MAX_IO_BYTES];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        assertThat(fuse.write(c.entry().nodeId(), c.fh(), 4096, data)).isEqualTo(data.length);
        byte[] back = fuse.read(c.entry().nodeId(), c.fh(), 4096, data.length);
        assertThat(back).isEqualTo(data);
        assertThat(fuse.readReply(c.entry().nodeId(), c.fh(), 0, FuseProtocol.MAX_IO_BYTES + 1).error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.read(c.entry().nodeId(), c.fh(), 10L << 30, 100)).as("past the end").isEmpty();
    }

    @Test
    void statfs() {
        FuseTestDriver.Reply r = fuse.call(FuseOpcode.STATFS, 1, body()).ok();
        assertThat(r.body().remaining()).isEqualTo(FuseProtocol.STATFS_OUT_BYTES);
        long blocks = r.u64();
        assertThat(blocks).isPositive();
        r.body().position(40);
        assertThat(r.u32()).as("bsize").isPositive();
        assertThat(r.u32()).as("namelen").isEqualTo(255);
    }

    @Test
    void opendirReaddirAndReaddirplusInSmallBuffers() throws IOException {
        for (int i = 0; i < 50; i++) {
            Files.writeString(share.resolve("file-" + i), "x".repeat(i));
        }
        List<Dirent> plain = fuse.readdirAll(1, false, 200);
        assertThat(plain.stream().map(Dirent::name).collect(Collectors.toSet()))
                .contains(".", "..", "hello.txt", "src", "file-0", "file-49").hasSize(54);
        assertThat(plain).hasSize(54);
        Dirent src = plain.stream().filter(d -> d.name().equals("src")).findFirst().orElseThrow();
        assertThat(src.type()).isEqualTo(4); // DT_DIR

        int before = server.inodeCount();
        List<Dirent> plus = fuse.readdirAll(1, true, 600);
        assertThat(plus).hasSize(54);
        Dirent f7 = plus.stream().filter(d -> d.name().equals("file-7")).findFirst().orElseThrow();
        assertThat(f7.entry().nodeId()).isNotZero();
        assertThat(f7.entry().attr().size()).isEqualTo(7);
        assertThat(plus.stream().filter(d -> d.name().equals(".")).findFirst().orElseThrow().entry().nodeId()).isZero();
        assertThat(server.inodeCount()).as("one lookup per listed entry but . and ..").isEqualTo(before + 52);
        assertThat(fuse.lookup(1, "file-7").nodeId()).isEqualTo(f7.entry().nodeId());
        fuse.call(FuseOpcode.FSYNCDIR, 1, body().u64(fuse.opendir(1)).u32(0).u32(0)).ok();
        assertThat(fuse.readdirReply(fuse.lookup(1, "hello.txt").nodeId(), 0, 0, 4096, false).error()).isEqualTo(Errno.ENOTDIR);
    }

    @Test
    void createMakesAndOpensAFileOwnedAsTheAgent() throws IOException {
        Created c = fuse.create(1, "new.txt");
        assertThat(c.entry().attr().uid()).isEqualTo(FuseTestDriver.UID);
        fuse.write(c.entry().nodeId(), c.fh(), 0, "abc".getBytes(StandardCharsets.UTF_8));
        assertThat(Files.readString(share.resolve("new.txt"))).isEqualTo("abc");
        assertThat(fuse.createReply(1, "new.txt", 0302 /* O_RDWR|O_CREAT|O_EXCL */, 0644).error()).isEqualTo(Errno.EEXIST);
    }

    @Test
    void forgettingAnInodeClosesItsHandles() throws IOException {
        long before = openFds();
        Created a = fuse.create(1, "a.o");
        Created b = fuse.create(1, "b.o");
        fuse.lookup(1, "a.o"); // a second reference: one FORGET of one leaves a's handle open
        assertThat(server.handleCount()).isEqualTo(2);
        fuse.forget(a.entry().nodeId(), 1);
        assertThat(server.handleCount()).isEqualTo(2);
        fuse.write(a.entry().nodeId(), a.fh(), 0, "a".getBytes(StandardCharsets.UTF_8));
        fuse.forget(a.entry().nodeId(), 1);
        assertThat(server.handleCount()).as("no RELEASE came (fc->no_open), the FORGET closes it").isEqualTo(1);
        fuse.sendNoReply(FuseOpcode.BATCH_FORGET, 0, body().u32(1).u32(0).u64(b.entry().nodeId()).u64(1));
        assertThat(server.handleCount()).isZero();
        assertThat(openFds()).as("each inode's and handle's fd closed").isEqualTo(before);
        assertThat(fuse.release(b.entry().nodeId(), b.fh()).error()).as("a late RELEASE has nothing to do").isZero();
    }

    @Test
    void aFullHandleTableGivesUpItsLeastRecentlyUsedHandle() throws IOException {
        try (FuseServer small = FuseServer.open(share, false, FuseTestDriver.UID, FuseTestDriver.GID, CacheTimeouts.DEFAULT, false, 3)) {
            FuseTestDriver d = new FuseTestDriver(small);
            d.init().ok();
            long before = openFds();
            Created a = d.create(1, "a");
            Created b = d.create(1, "b");
            Created c = d.create(1, "c");
            d.write(a.entry().nodeId(), a.fh(), 0, "a".getBytes(StandardCharsets.UTF_8)); // a is used last now
            Created e = d.create(1, "e");
            assertThat(small.handleCount()).isEqualTo(3);
            assertThat(small.handleCount()).isEqualTo(3);
            d.write(b.entry().nodeId(), b.fh(), 0, "b".getBytes(StandardCharsets.UTF_8)); // given up: done by nodeid
            assertThat(Files.readString(share.resolve("b"))).isEqualTo("b");
            d.write(a.entry().nodeId(), a.fh(), 1, "a".getBytes(StandardCharsets.UTF_8));
            d.write(c.entry().nodeId(), c.fh(), 0, "c".getBytes(StandardCharsets.UTF_8));
            d.write(e.entry().nodeId(), e.fh(), 0, "e".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < 50; i++) {
                Created more = d.create(1, "more-" + i);
                d.write(more.entry().nodeId(), more.fh(), 0, "x".getBytes(StandardCharsets.UTF_8));
            }
            assertThat(small.handleCount()).isEqualTo(3);
            assertThat(Files.readString(share.resolve("a"))).isEqualTo("aa");
            assertThat(Files.readString(share.resolve("more-49"))).isEqualTo("x");
            assertThat(openFds() - before).as("the inodes' fds and 3 handles").isEqualTo(small.inodeCount() - 1 + 3);
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void accessChecksTheMappedModeBits() throws IOException {
        long node = fuse.lookup(1, "hello.txt").nodeId();
        Files.setPosixFilePermissions(share.resolve("hello.txt"), PosixFilePermissions.fromString("rw-------"));
        fuse.call(FuseOpcode.ACCESS, node, body().u32(6).u32(0)).ok();
        assertThat(fuse.call(FuseOpcode.ACCESS, node, body().u32(1).u32(0)).error()).isEqualTo(Errno.EACCES);
        fuse.uid = 2000;
        fuse.gid = 2000;
        assertThat(fuse.call(FuseOpcode.ACCESS, node, body().u32(4).u32(0)).error()).isEqualTo(Errno.EACCES);
    }

    @Test
    void lseekFindsDataAndHoles() throws IOException {
        Created c = fuse.create(1, "sparse");
        fuse.write(c.entry().nodeId(), c.fh(), 1 << 20, new byte[] {1});
        long hole = fuse.call(FuseOpcode.LSEEK, c.entry().nodeId(), body().u64(c.fh()).u64(0).u32(4).u32(0)).ok().u64();
        assertThat(hole).isLessThanOrEqualTo(1 << 20);
        long data = fuse.call(FuseOpcode.LSEEK, c.entry().nodeId(), body().u64(c.fh()).u64(0).u32(3).u32(0)).ok().u64();
        assertThat(data).isLessThanOrEqualTo(1 << 20);
        assertThat(fuse.call(FuseOpcode.LSEEK, c.entry().nodeId(), body().u64(c.fh()).u64(0).u32(9).u32(0)).error()).isEqualTo(Errno.EINVAL);
    }

    @Test
    void fallocateGrowsAFile() throws IOException {
        Created c = fuse.create(1, "prealloc");
        fuse.call(FuseOpcode.FALLOCATE, c.entry().nodeId(), body().u64(c.fh()).u64(0).u64(65536).u32(0).u32(0)).ok();
        assertThat(Files.size(share.resolve("prealloc"))).isEqualTo(65536);
        assertThat(fuse.call(FuseOpcode.FALLOCATE, c.entry().nodeId(), body().u64(c.fh()).u64(0).u64(1).u32(0x40).u32(0)).error())
                .isEqualTo(Errno.EOPNOTSUPP);
    }

    @Test
    void xattrsAreNotSharedAndUnknownOpcodesAreEnosys() {
        assertThat(fuse.call(FuseOpcode.GETXATTR, 1, body().u32(100).u32(0).name("security.capability")).error()).isEqualTo(Errno.ENOSYS);
        assertThat(fuse.call(FuseOpcode.LISTXATTR, 1, body().u32(100).u32(0)).error()).isEqualTo(Errno.ENOSYS);
        assertThat(fuse.call(FuseOpcode.SETLK, 1, body().u64(0)).error()).isEqualTo(Errno.ENOSYS);
        assertThat(fuse.call(9999, 1, body()).error()).isEqualTo(Errno.ENOSYS);
        assertThat(server.unknownOpcodes()).isEqualTo(2);
    }

    @Test
    void requestsAreCountedByOpcode() {
        long node = fuse.lookup(1, "hello.txt").nodeId();
        fuse.lookup(1, "hello.txt");
        fuse.getattr(1);
        fuse.forget(node, 2);
        assertThat(fuse.call(60, 1, body()).error()).isEqualTo(Errno.ENOSYS);
        assertThat(fuse.call(4096 /* CUSE_INIT */, 1, body()).error()).isEqualTo(Errno.ENOSYS);
        assertThat(fuse.call(-7, 1, body()).error()).isEqualTo(Errno.ENOSYS);
        server.handle(ByteBuffer.allocate(20)); // no readable header: only a failed request
        Map<String, Long> counts = server.requestCounts();
        assertThat(counts).containsExactly(Map.entry("LOOKUP", 2L), Map.entry("FORGET", 1L),
                Map.entry("GETATTR", 1L), Map.entry("INIT", 1L), Map.entry("OPCODE_60", 1L),
                Map.entry("OTHER", 2L));
        assertThat(server.requests()).isEqualTo(9);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> counts.put("READ", 1L))
                .isInstanceOf(UnsupportedOperationException.class);
        fuse.getattr(1);
        assertThat(counts.get("GETATTR")).as("a snapshot").isEqualTo(1);
        assertThat(server.requestCounts().get("GETATTR")).isEqualTo(2);
    }

    @Test
    void interruptHasNoReplyAndDestroyForgetsEverything() {
        fuse.sendNoReply(FuseOpcode.INTERRUPT, 0, body().u64(12345));
        long node = fuse.lookup(1, "hello.txt").nodeId();
        fuse.open(node, 0);
        fuse.call(FuseOpcode.DESTROY, 0, body()).ok();
        assertThat(server.inodeCount()).isEqualTo(1);
        assertThat(server.handleCount()).isZero();
        assertThat(fuse.lookupReply(1, "hello.txt").error()).as("after DESTROY, INIT again first").isEqualTo(Errno.EIO);
        fuse.init().ok();
        assertThat(fuse.getattrReply(node).error()).isEqualTo(Errno.EBADF);
    }

    @Test
    void readOnlyShareRefusesEveryMutationWithErofs() throws IOException {
        try (FuseServer ro = FuseServer.open(share, true, 1000, 1000, CacheTimeouts.DEFAULT)) {
            FuseTestDriver d = new FuseTestDriver(ro);
            d.init().ok();
            long file = d.lookup(1, "hello.txt").nodeId();
            long fh = d.open(file, 0);
            assertThat(new String(d.read(file, fh, 0, 5), StandardCharsets.UTF_8)).isEqualTo("hello");
            // OPEN answers ENOSYS whatever the access mode (the guest mounts it -o ro and refuses write opens itself);
            // what a write open would lead to is refused where it reaches the host
            assertThat(d.openReply(file, 1).error()).isEqualTo(Errno.ENOSYS);
            assertThat(d.openReply(file, 01002).error()).as("O_RDWR|O_TRUNC").isEqualTo(Errno.ENOSYS);
            assertThat(d.writeReply(file, fh, 0, new byte[] {1}).error()).isEqualTo(Errno.EROFS);
            assertThat(d.writeReply(file, fh, 0, new byte[] {1}, 02001).error()).as("appending").isEqualTo(Errno.EROFS);
            assertThat(d.setattr(file, FuseProtocol.FATTR_SIZE | FuseProtocol.FATTR_FH, 0, 0, 0, 0, 0, 0, 0).error())
                    .as("ftruncate").isEqualTo(Errno.EROFS);
            d.call(FuseOpcode.FSYNC, file, body().u64(0).u32(0).u32(0)).ok(); // nothing to sync
            assertThat(d.createReply(1, "x", 0101, 0644).error()).isEqualTo(Errno.EROFS);
            assertThat(d.mkdirReply(1, "d", 0755).error()).isEqualTo(Errno.EROFS);
            assertThat(d.call(FuseOpcode.MKNOD, 1, body().u32(0100644).u32(0).u32(0).u32(0).name("n")).error()).isEqualTo(Errno.EROFS);
            assertThat(d.symlinkReply(1, "s", "t").error()).isEqualTo(Errno.EROFS);
            assertThat(d.unlink(1, "hello.txt").error()).isEqualTo(Errno.EROFS);
            assertThat(d.call(FuseOpcode.RMDIR, 1, body().name("src")).error()).isEqualTo(Errno.EROFS);
            assertThat(d.rename(1, "hello.txt", 1, "h2").error()).isEqualTo(Errno.EROFS);
            assertThat(d.call(FuseOpcode.RENAME2, 1, body().u64(1).u32(0).u32(0).name("hello.txt").name("h2")).error()).isEqualTo(Errno.EROFS);
            assertThat(d.linkReply(file, 1, "l").error()).isEqualTo(Errno.EROFS);
            assertThat(d.setattr(file, FuseProtocol.FATTR_MODE, 0, 0, 0, 0, 0777, 0, 0).error()).isEqualTo(Errno.EROFS);
            assertThat(d.setattr(file, FuseProtocol.FATTR_SIZE, 0, 0, 0, 0, 0, 0, 0).error()).isEqualTo(Errno.EROFS);
            assertThat(d.call(FuseOpcode.FALLOCATE, file, body().u64(fh).u64(0).u64(10).u32(0).u32(0)).error()).isEqualTo(Errno.EROFS);
            assertThat(d.call(FuseOpcode.ACCESS, file, body().u32(2).u32(0)).error()).isEqualTo(Errno.EROFS);
            assertThat(Files.readString(share.resolve("hello.txt"))).isEqualTo("hello, world\n");
            assertThat(Files.exists(share.resolve("x"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        }
    }

    @Test
    void ownershipMapsTheShareOwnerToTheAgentAndBack() throws IOException {
        Files.setAttribute(share, "unix:uid", 1234);
        Files.setAttribute(share, "unix:gid", 1235);
        Files.setAttribute(share.resolve("hello.txt"), "unix:uid", 1000); // someone who happens to have the agent's uid
        try (FuseServer s = FuseServer.open(share, false, 1000, 1000, CacheTimeouts.DEFAULT)) {
            FuseTestDriver d = new FuseTestDriver(s);
            d.init().ok();
            assertThat(d.getattr(1).uid()).isEqualTo(1000);
            assertThat(d.getattr(1).gid()).isEqualTo(1000);
            assertThat(d.lookup(1, "hello.txt").attr().uid()).isEqualTo(OwnershipMap.OVERFLOW_ID);
            assertThat(d.lookup(1, "src").attr().uid()).as("root stays root").isZero();
            Created c = d.create(1, "made-by-guest");
            assertThat(c.entry().attr().uid()).isEqualTo(1000);
            assertThat(Files.getAttribute(share.resolve("made-by-guest"), "unix:uid")).isEqualTo(1234);
            assertThat(Files.getAttribute(share.resolve("made-by-guest"), "unix:gid")).isEqualTo(1235);
            d.mkdir(1, "dir-by-guest");
            assertThat(Files.getAttribute(share.resolve("dir-by-guest"), "unix:uid")).isEqualTo(1234);
            long hello = d.lookup(1, "hello.txt").nodeId();
            d.setattr(hello, FuseProtocol.FATTR_UID, 0, 0, 0, 0, 0, 1000, 0).ok();
            assertThat(Files.getAttribute(share.resolve("hello.txt"), "unix:uid")).as("agent maps to the owner").isEqualTo(1234);
            assertThat(d.setattr(hello, FuseProtocol.FATTR_UID, 0, 0, 0, 0, 0, 0, 0).error()).as("chown to root").isEqualTo(Errno.EPERM);
        }
    }

    @Test
    void aShareThatIsNotADirectoryIsRefusedByName() {
        Path file = share.resolve("hello.txt");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FuseServer.open(file, false, 1000, 1000, CacheTimeouts.DEFAULT))
                .isInstanceOf(IOException.class).hasMessageContaining(file.toString()).hasMessageContaining("directory");
        Path missing = dir.resolve("missing");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FuseServer.open(missing, true, 1000, 1000, CacheTimeouts.DEFAULT))
                .isInstanceOf(IOException.class).hasMessageContaining(missing.toString());
    }

    @Test
    void malformedRequestsAreRefusedNotThrown() {
        ByteBuffer shortHeader = ByteBuffer.allocate(20);
        byte[] reply = server.handle(shortHeader);
        assertThat(ByteBuffer.wrap(reply).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt(4)).isEqualTo(-Errno.EINVAL);
        ByteBuffer lying = fuse.request(FuseOpcode.LOOKUP, 1, "x\0".getBytes(StandardCharsets.UTF_8));
        lying.putInt(0, 1 << 20);
        assertThat(fuse.send(lying).error()).as("len beyond the request").isEqualTo(Errno.EINVAL);
        assertThat(fuse.call(FuseOpcode.READ, 1, body().u64(1)).error()).as("short read_in").isEqualTo(Errno.EINVAL);
        assertThat(fuse.call(FuseOpcode.LOOKUP, 1, body().raw("abc".getBytes(StandardCharsets.UTF_8))).error())
                .as("name without NUL").isEqualTo(Errno.EINVAL);
    }
}
