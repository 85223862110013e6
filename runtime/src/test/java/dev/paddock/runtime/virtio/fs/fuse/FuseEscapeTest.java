package dev.paddock.runtime.virtio.fs.fuse;

import static dev.paddock.runtime.virtio.fs.fuse.FuseTestDriver.body;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.runtime.virtio.fs.fuse.FuseTestDriver.Created;
import dev.paddock.runtime.virtio.fs.fuse.FuseTestDriver.Entry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attempts to reach outside the share, each of which must fail. Beside the share lies {@code outside/} with a
 * secret; after every test the secret is unchanged, nothing new appeared outside, and no reply ever carried
 * the secret's bytes.
 */
class FuseEscapeTest {
    private static final String SECRET = "TOP-SECRET-host-credentials";

    @TempDir
    Path dir;
    Path share;
    Path outside;
    FuseServer server;
    FuseTestDriver fuse;

    @BeforeEach
    void start() throws IOException {
        share = Files.createDirectory(dir.resolve("share"));
        outside = Files.createDirectory(dir.resolve("outside"));
        Files.writeString(outside.resolve("secret.txt"), SECRET);
        Files.writeString(share.resolve("hello.txt"), "hello");
        Files.createDirectory(share.resolve("sub"));
        Files.writeString(share.resolve("sub/secret.txt"), "inside");
        server = FuseServer.open(share, false, 1000, 1000, CacheTimeouts.DEFAULT);
        fuse = new FuseTestDriver(server);
        fuse.init().ok();
    }

    @AfterEach
    void outsideIsUntouched() throws IOException {
        server.close();
        assertThat(Files.readString(outside.resolve("secret.txt"))).isEqualTo(SECRET);
        try (Stream<Path> s = Files.list(outside)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("secret.txt");
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("share", "outside");
        }
    }

    /**
     * Reads a whole file through FUSE as a guest kernel would (OPEN, and on ENOSYS READ by nodeid with fh 0), or
     * returns null when any step fails.
     */
    private String readThrough(long node) {
        FuseTestDriver.Reply open = fuse.openReply(node, 0);
        if (open.error() != Errno.ENOSYS) {
            return null;
        }
        FuseTestDriver.Reply r = fuse.readReply(node, 0, 0, 4096);
        return r.error() == 0 ? new String(r.rest(), StandardCharsets.UTF_8) : null;
    }

    @Test
    void dotDotIsRefusedAtLookup() {
        assertThat(fuse.lookupReply(1, "..").error()).isEqualTo(Errno.EINVAL);
        long sub = fuse.lookup(1, "sub").nodeId();
        assertThat(fuse.lookupReply(sub, "..").error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.lookupReply(1, ".").error()).isEqualTo(Errno.EINVAL);
    }

    @Test
    void namesWithSlashesAreRefusedEverywhere() {
        assertThat(fuse.lookupReply(1, "../outside/secret.txt").error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.lookupReply(1, "sub/../../outside").error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.createReply(1, "../outside/planted", 0101, 0644).error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.mkdirReply(1, "../outside/dir", 0755).error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.symlinkReply(1, "../outside/link", "x").error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.rename(1, "hello.txt", 1, "../outside/stolen").error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.unlink(1, "../outside/secret.txt").error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.linkReply(fuse.lookup(1, "hello.txt").nodeId(), 1, "../outside/l").error()).isEqualTo(Errno.EINVAL);
    }

    @Test
    void absoluteNamesAreRefused() {
        assertThat(fuse.lookupReply(1, outside.resolve("secret.txt").toString()).error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.lookupReply(1, "/").error()).isEqualTo(Errno.EINVAL);
    }

    @Test
    void aNulEndsTheNameSoNothingAfterItIsResolved() {
        byte[] name = "hello.txt\0/../../outside/secret.txt\0".getBytes(StandardCharsets.UTF_8);
        Entry e = Entry.read(fuse.call(FuseOpcode.LOOKUP, 1, body().raw(name)).ok().body());
        assertThat(readThrough(e.nodeId())).isEqualTo("hello");
        byte[] nulOnly = {0};
        assertThat(fuse.call(FuseOpcode.LOOKUP, 1, body().raw(nulOnly)).error()).isEqualTo(Errno.ENOENT);
    }

    @Test
    void overlongNamesAndTargetsAreRefused() {
        assertThat(fuse.lookupReply(1, "a".repeat(256)).error()).isEqualTo(Errno.ENAMETOOLONG);
        assertThat(fuse.createReply(1, "b".repeat(4000), 0101, 0644).error()).isEqualTo(Errno.ENAMETOOLONG);
        assertThat(fuse.symlinkReply(1, "s", "../".repeat(1400)).error()).isEqualTo(Errno.ENAMETOOLONG);
    }

    @Test
    void anAbsoluteSymlinkOutIsNeverFollowed() throws IOException {
        Files.createSymbolicLink(share.resolve("abs-file"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(share.resolve("abs-dir"), outside);
        Entry file = fuse.lookup(1, "abs-file");
        assertThat(file.attr().isSymlink()).isTrue();
        assertThat(readThrough(file.nodeId())).isNull();
        assertThat(fuse.call(FuseOpcode.SETATTR, file.nodeId(), body().u32(FuseProtocol.FATTR_SIZE).raw(new byte[84])).error())
                .as("truncate through the link").isNotZero();
        Entry d = fuse.lookup(1, "abs-dir");
        assertThat(fuse.lookupReply(d.nodeId(), "secret.txt").error()).isEqualTo(Errno.ENOTDIR);
        assertThat(fuse.readdirReply(d.nodeId(), 0, 0, 4096, false).error()).isEqualTo(Errno.ENOTDIR);
        assertThat(fuse.createReply(1, "abs-file", 01101 /* O_WRONLY|O_CREAT|O_TRUNC */, 0644).error()).isEqualTo(Errno.ELOOP);
    }

    @Test
    void aRelativeSymlinkOutIsNeverFollowed() throws IOException {
        Files.createSymbolicLink(share.resolve("rel"), Path.of("../outside"));
        Files.createSymbolicLink(share.resolve("sub/deeper"), Path.of("../../outside/secret.txt"));
        Entry rel = fuse.lookup(1, "rel");
        assertThat(fuse.lookupReply(rel.nodeId(), "secret.txt").error()).isEqualTo(Errno.ENOTDIR);
        assertThat(fuse.mkdirReply(rel.nodeId(), "planted", 0755).error()).as("mkdir under a symlink node").isNotZero();
        Entry deeper = fuse.lookup(fuse.lookup(1, "sub").nodeId(), "deeper");
        assertThat(readThrough(deeper.nodeId())).isNull();
        assertThat(new String(fuse.call(FuseOpcode.READLINK, deeper.nodeId(), body()).ok().rest(), StandardCharsets.UTF_8))
                .as("the guest gets the text and resolves it within its own mount").isEqualTo("../../outside/secret.txt");
    }

    @Test
    void aDanglingSymlinkOutCannotBeCreatedThrough() throws IOException {
        Files.createSymbolicLink(share.resolve("dangling"), outside.resolve("planted.txt"));
        assertThat(fuse.createReply(1, "dangling", 0101, 0644).error()).isEqualTo(Errno.ELOOP);
        assertThat(fuse.call(FuseOpcode.MKNOD, 1, body().u32(0100644).u32(0).u32(0).u32(0).name("dangling")).error()).isEqualTo(Errno.EEXIST);
        assertThat(fuse.mkdirReply(1, "dangling", 0755).error()).isEqualTo(Errno.EEXIST);
    }

    @Test
    void guestMadeSymlinksOutAreJustText() {
        Entry l = Entry.read(fuse.symlinkReply(1, "escape", outside.resolve("secret.txt").toString()).ok().body());
        assertThat(readThrough(l.nodeId())).isNull();
        Entry d = Entry.read(fuse.symlinkReply(1, "escape-dir", "../outside").ok().body());
        assertThat(fuse.lookupReply(d.nodeId(), "secret.txt").error()).isEqualTo(Errno.ENOTDIR);
        assertThat(fuse.createReply(d.nodeId(), "planted", 0101, 0644).error()).isNotZero();
    }

    @Test
    void magicLinksLikeProcSelfFdAreNotFollowed() throws IOException {
        Files.createSymbolicLink(share.resolve("proc-root"), Path.of("/proc/self/root"));
        Files.createSymbolicLink(share.resolve("proc-fd"), Path.of("/proc/self/fd"));
        Entry root = fuse.lookup(1, "proc-root");
        assertThat(fuse.lookupReply(root.nodeId(), "etc").error()).isEqualTo(Errno.ENOTDIR);
        Entry fd = fuse.lookup(1, "proc-fd");
        assertThat(fuse.lookupReply(fd.nodeId(), "3").error()).isEqualTo(Errno.ENOTDIR);
        Entry guestMade = Entry.read(fuse.symlinkReply(1, "cwd", "/proc/self/cwd").ok().body());
        assertThat(readThrough(guestMade.nodeId())).isNull();
        assertThat(fuse.readdirReply(guestMade.nodeId(), 0, 0, 4096, false).error()).isEqualTo(Errno.ENOTDIR);
    }

    @Test
    void hardlinksCannotNameAnythingOutside() {
        assertThat(fuse.linkReply(999_999, 1, "stolen").error()).as("forged old nodeid").isEqualTo(Errno.EBADF);
        assertThat(fuse.linkReply(1, 1, "root-again").error()).as("the root directory").isEqualTo(Errno.EPERM);
        long file = fuse.lookup(1, "hello.txt").nodeId();
        assertThat(fuse.linkReply(file, 999_999, "x").error()).as("forged new parent").isEqualTo(Errno.EBADF);
    }

    @Test
    void forgedNodeIdsNameNothing() throws IOException {
        long outsideIno = (Long) Files.getAttribute(outside, "unix:ino");
        long secretIno = (Long) Files.getAttribute(outside.resolve("secret.txt"), "unix:ino");
        for (long forged : new long[] {0, 2, outsideIno, secretIno, -1L, Long.MIN_VALUE, 1L << 40}) {
            assertThat(fuse.getattrReply(forged).error()).as("GETATTR nodeid %d", forged).isEqualTo(Errno.EBADF);
            assertThat(fuse.lookupReply(forged, "secret.txt").error()).isEqualTo(Errno.EBADF);
            assertThat(fuse.openReply(forged, 0).error()).isEqualTo(Errno.EBADF);
        }
    }

    @Test
    void forgetThenReuseOfANodeIdFails() {
        long node = fuse.lookup(1, "sub").nodeId();
        fuse.forget(node, 1);
        assertThat(fuse.lookupReply(node, "secret.txt").error()).isEqualTo(Errno.EBADF);
        long again = fuse.lookup(1, "sub").nodeId();
        assertThat(again).as("nodeids are never reused").isNotEqualTo(node);
        fuse.forget(again, Long.MAX_VALUE);
        fuse.forget(1, Long.MAX_VALUE);
        assertThat(fuse.getattr(1).isDirectory()).as("the root cannot be forgotten").isTrue();
    }

    @Test
    void handlesOfOtherInodesAreRefused() throws IOException {
        Created made = fuse.create(1, "made.txt");
        long node = made.entry().nodeId();
        long fh = made.fh();
        long secret = fuse.lookup(fuse.lookup(1, "sub").nodeId(), "secret.txt").nodeId();
        assertThat(fuse.readReply(secret, fh, 0, 10).error()).isEqualTo(Errno.EBADF);
        assertThat(fuse.writeReply(secret, fh, 0, new byte[] {1}).error()).isEqualTo(Errno.EBADF);
        assertThat(fuse.call(FuseOpcode.FSYNC, secret, body().u64(fh).u32(0).u32(0)).error()).isEqualTo(Errno.EBADF);
        assertThat(fuse.call(FuseOpcode.LSEEK, secret, body().u64(fh).u64(0).u32(0).u32(0)).error()).isEqualTo(Errno.EBADF);
        assertThat(fuse.call(FuseOpcode.FALLOCATE, secret, body().u64(fh).u64(0).u64(10).u32(0).u32(0)).error()).isEqualTo(Errno.EBADF);
        assertThat(fuse.setattr(secret, FuseProtocol.FATTR_SIZE | FuseProtocol.FATTR_FH, fh, 0, 0, 0, 0, 0, 0).error())
                .isEqualTo(Errno.EBADF);
        assertThat(fuse.release(secret, fh).error()).isEqualTo(Errno.EBADF);
        assertThat(Files.readString(share.resolve("sub/secret.txt"))).isEqualTo("inside");
        long dh = fuse.opendir(1);
        assertThat(fuse.readReply(1, dh, 0, 10).error()).as("a directory's fh 0 used as a file").isEqualTo(Errno.EISDIR);
        assertThat(fuse.readdirReply(node, fh, 0, 4096, false).error()).as("a file read as a directory").isEqualTo(Errno.ENOTDIR);
        assertThat(fuse.readReply(node, 12345, 0, 10).error()).as("an fh never handed out").isEqualTo(Errno.EBADF);
        assertThat(fuse.readReply(node, -1L, 0, 10).error()).as("an fh never handed out").isEqualTo(Errno.EBADF);
        fuse.release(node, fh).ok();
        Created other = fuse.create(1, "other.txt");
        fuse.forget(other.entry().nodeId(), 1);
        assertThat(fuse.readReply(node, other.fh(), 0, 10).error())
                .as("another inode's fh, closed with its inode: the request gets its own inode, as with fh 0").isZero();
        assertThat(fuse.readReply(secret, fh, 0, 10).ok().rest())
                .as("a released fh of another inode: the same").isEqualTo("inside".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void chownToAnotherHostUserIsRefused() {
        long hello = fuse.lookup(1, "hello.txt").nodeId();
        // This server runs as root; a guest must not be able to make a file root's (or anyone else's).
        for (int uid : new int[] {0, 1, 4321, -1 >>> 1}) {
            if (uid == 0) {
                continue; // the share owner here is root: chown to the owner's own id is allowed only via the agent id
            }
            assertThat(fuse.setattr(hello, FuseProtocol.FATTR_UID, 0, 0, 0, 0, 0, uid, 0).error()).isEqualTo(Errno.EPERM);
        }
        assertThat(fuse.setattr(hello, FuseProtocol.FATTR_GID, 0, 0, 0, 0, 0, 0, 4321).error()).isEqualTo(Errno.EPERM);
    }

    @Test
    void deviceNodesCannotBeMade() {
        assertThat(fuse.call(FuseOpcode.MKNOD, 1, body().u32(0020666).u32((1 << 8) | 3).u32(0).u32(0).name("mem")).error()).isEqualTo(Errno.EPERM);
        assertThat(fuse.call(FuseOpcode.MKNOD, 1, body().u32(0140666).u32(0).u32(0).u32(0).name("sock")).error()).isEqualTo(Errno.EPERM);
    }

    @Test
    void aSymlinkSwappedInDuringLookupNeverLeadsOut() throws Exception {
        Path real = share.resolve("sub");
        Path parked = share.resolve("parked");
        Path evil = share.resolve("evil");
        Files.createSymbolicLink(evil, outside);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> swapFailure = new AtomicReference<>();
        Thread swapper = new Thread(() -> {
            try {
                while (!stop.get()) {
                    Files.move(real, parked, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(evil, real, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(real, evil, StandardCopyOption.ATOMIC_MOVE);
                    Files.move(parked, real, StandardCopyOption.ATOMIC_MOVE);
                }
            } catch (IOException e) {
                swapFailure.set(e);
            }
        });
        swapper.start();
        int reads = 0;
        try {
            for (int i = 0; i < 3000; i++) {
                FuseTestDriver.Reply r = fuse.lookupReply(1, "sub");
                if (r.error() != 0) {
                    continue;
                }
                Entry sub = Entry.read(r.body());
                if (sub.nodeId() == 0) {
                    continue;
                }
                FuseTestDriver.Reply inner = fuse.lookupReply(sub.nodeId(), "secret.txt");
                if (inner.error() == 0) {
                    Entry e = Entry.read(inner.body());
                    if (e.nodeId() != 0) {
                        String content = readThrough(e.nodeId());
                        assertThat(content).isNotEqualTo(SECRET);
                        if (content != null) {
                            reads++;
                        }
                        fuse.forget(e.nodeId(), 1);
                    }
                }
                fuse.forget(sub.nodeId(), 1);
            }
        } finally {
            stop.set(true);
            swapper.join();
        }
        assertThat(swapFailure.get()).isNull();
        assertThat(reads).as("the race did hit the real directory sometimes").isPositive();
    }

    @Test
    void renamesRacingLookupsStayInsideTheShare() throws Exception {
        Files.createDirectories(share.resolve("a/b"));
        Files.writeString(share.resolve("a/b/secret.txt"), "inside");
        long a = fuse.lookup(1, "a").nodeId();
        AtomicBoolean stop = new AtomicBoolean();
        FuseTestDriver mover = new FuseTestDriver(server);
        Thread t = new Thread(() -> {
            while (!stop.get()) {
                mover.rename(a, "b", 1, "b");
                mover.rename(1, "b", a, "b");
            }
        });
        t.start();
        try {
            for (int i = 0; i < 2000; i++) {
                for (long parent : List.of(1L, a)) {
                    FuseTestDriver.Reply r = fuse.lookupReply(parent, "b");
                    if (r.error() != 0) {
                        continue;
                    }
                    Entry b = Entry.read(r.body());
                    if (b.nodeId() == 0) {
                        continue;
                    }
                    assertThat(fuse.lookupReply(b.nodeId(), "..").error()).isEqualTo(Errno.EINVAL);
                    FuseTestDriver.Reply s = fuse.lookupReply(b.nodeId(), "secret.txt");
                    if (s.error() == 0) {
                        Entry e = Entry.read(s.body());
                        if (e.nodeId() != 0) {
                            assertThat(readThrough(e.nodeId())).isIn("inside", null);
                        }
                    }
                }
            }
        } finally {
            stop.set(true);
            t.join();
        }
    }

    @Test
    void forgetStormsRacingRequestsNeverUseAClosedFd() throws Exception {
        long baseline = openFds();
        AtomicBoolean stop = new AtomicBoolean();
        FuseTestDriver forgetter = new FuseTestDriver(server);
        Thread t = new Thread(() -> {
            while (!stop.get()) {
                for (long id = 2; id < 40; id++) {
                    forgetter.forget(id, Long.MAX_VALUE);
                }
            }
        });
        t.start();
        try {
            for (int i = 0; i < 2000; i++) {
                FuseTestDriver.Reply r = fuse.lookupReply(1, "sub");
                if (r.error() == 0) {
                    long sub = Entry.read(r.body()).nodeId();
                    FuseTestDriver.Reply s = fuse.lookupReply(sub, "secret.txt");
                    assertThat(s.error()).isIn(0, Errno.EBADF);
                    if (s.error() == 0) {
                        assertThat(readThrough(Entry.read(s.body()).nodeId())).isIn("inside", null);
                    }
                }
            }
        } finally {
            stop.set(true);
            t.join();
        }
        fuse.call(FuseOpcode.DESTROY, 0, body()).ok();
        assertThat(openFds()).as("every inode and handle fd closed").isEqualTo(baseline);
    }

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void readdirOffsetsAndSizesFromTheGuestAreBounded() {
        long dh = fuse.opendir(1);
        assertThat(fuse.readdirReply(1, dh, 0, -1, false).error()).isEqualTo(Errno.EINVAL);
        assertThat(fuse.readdirReply(1, dh, 0, FuseProtocol.MAX_IO_BYTES + 1, true).error()).isEqualTo(Errno.EINVAL);
        FuseTestDriver.Reply r = fuse.readdirReply(1, dh, Long.MAX_VALUE, 4096, false);
        assertThat(r.error() == 0 ? r.body().remaining() : 0).as("a forged cookie lists nothing").isZero();
        long hello = fuse.lookup(1, "hello.txt").nodeId();
        long fh = fuse.open(hello, 0);
        assertThat(fuse.readReply(hello, fh, -5, 10).error()).as("negative offset").isEqualTo(Errno.EINVAL);
        assertThat(fuse.call(FuseOpcode.FALLOCATE, hello, body().u64(fh).u64(-1).u64(10).u32(0).u32(0)).error()).isEqualTo(Errno.EINVAL);
    }
}
