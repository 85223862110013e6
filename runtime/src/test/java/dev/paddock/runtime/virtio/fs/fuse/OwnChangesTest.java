package dev.paddock.runtime.virtio.fs.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.runtime.virtio.fs.ShareWatcher;
import dev.paddock.runtime.virtio.fs.fuse.FuseTestDriver.Created;
import dev.paddock.runtime.virtio.fs.fuse.FuseTestDriver.Entry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server's own changes are left out of what a {@link ShareWatcher} tells the guest; the host's are not. */
class OwnChangesTest {
    @TempDir
    Path dir;

    @Test
    void aRecordMatchesOnlyWhileTheHostStillLooksAsTheServerLeftIt() {
        AtomicLong now = new AtomicLong(1_000);
        OwnChanges own = new OwnChanges(now::get);
        long dev = 7L << 32 | 1;
        Inode d = new Inode(2, -1, dev, 42, HostLibC.S_IFDIR);
        own.name(d, "a.txt".getBytes(StandardCharsets.UTF_8), 43);
        own.node(dev, 43, 1_000_000_123L);
        assertThat(own.isOwnName(dev, 42, "a.txt", 43)).isFalse().as("not recorded: nobody watches");
        assertThat(own.isOwnNode(dev, 43, 1_000_000_123L)).isFalse();

        own.watching(true);
        own.name(d, "a.txt".getBytes(StandardCharsets.UTF_8), 43);
        own.name(d, "gone.txt".getBytes(StandardCharsets.UTF_8), OwnChanges.ABSENT);
        own.node(dev, 43, 1_000_000_123L);
        assertThat(own.isOwnName(dev, 42, "a.txt", 43)).isTrue();
        assertThat(own.isOwnName(dev, 42, "a.txt", 44)).as("the host put another file there since").isFalse();
        assertThat(own.isOwnName(dev, 42, "a.txt", OwnChanges.ABSENT)).as("the host removed it since").isFalse();
        assertThat(own.isOwnName(dev, 42, "gone.txt", OwnChanges.ABSENT)).isTrue();
        assertThat(own.isOwnName(dev, 42, "gone.txt", 50)).as("the host made it again").isFalse();
        assertThat(own.isOwnName(dev, 42, "b.txt", OwnChanges.ABSENT)).isFalse();
        assertThat(own.isOwnName(7L << 32 | 2, 42, "a.txt", 43)).as("another device").isFalse();
        assertThat(own.isOwnNode(dev, 43, 1_000_000_123L)).isTrue();
        assertThat(own.isOwnNode(dev, 43, 1_000_000_124L)).as("changed since").isFalse();
        assertThat(own.isOwnNode(dev, 42, 1_000_000_123L)).isFalse();

        now.addAndGet(OwnChanges.WINDOW_NANOS);
        assertThat(own.isOwnNode(dev, 43, 1_000_000_123L)).as("at the window's end").isTrue();
        now.addAndGet(1);
        assertThat(own.isOwnNode(dev, 43, 1_000_000_123L)).as("after it").isFalse();
        assertThat(own.isOwnName(dev, 42, "a.txt", 43)).isFalse();

        own.node(dev, 43, 5);
        own.watching(false);
        assertThat(own.size()).as("a stopped watcher's records are gone").isZero();
    }

    @Test
    void aWatcherWaitsForTheOperationsUnderWayButNotForLaterOnes() throws Exception {
        OwnChanges own = new OwnChanges();
        assertThat(own.begin()).as("nobody watches: no ticket").isZero();
        own.watching(true);
        assertThat(own.awaitSettled(0)).as("nothing under way").isTrue();
        long first = own.begin();
        assertThat(own.awaitSettled(50)).as("the operation has not ended").isFalse();
        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return own.awaitSettled(10_000);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        long later = own.begin(); // began after the watcher looked: not waited for
        assertThat(waiting).isNotDone();
        own.end(first);
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(own.awaitSettled(20)).as("now the later one is under way").isFalse();
        own.end(later);
        assertThat(own.awaitSettled(0)).isTrue();
    }

    @Test
    void anEventIsTheServersOwnEvenWhenItsRecordComesLongAfterIt() throws Exception {
        Path share = Files.createDirectory(dir.resolve("share"));
        OwnChanges own = new OwnChanges();
        own.watching(true);
        LinkedBlockingQueue<ShareWatcher.Changes> batches = new LinkedBlockingQueue<>();
        try (ShareWatcher watcher = ShareWatcher.start(share, own, c -> {
            batches.add(c);
            return CompletableFuture.completedFuture(null);
        }, e -> { })) {
            Map<String, Object> root = Files.readAttributes(share, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
            Inode d = new Inode(1, -1, OwnChanges.statxDev((Long) root.get("dev")), (Long) root.get("ino"), HostLibC.S_IFDIR);
            // A worker creates a file for the guest, then is descheduled for longer than the watcher gathers events.
            long ticket = own.begin();
            Path made = Files.writeString(share.resolve("made.o"), "obj");
            Thread.sleep(600); // the watcher gathers for 20 ms after the last event, 200 ms at most
            own.name(d, "made.o".getBytes(StandardCharsets.UTF_8), (Long) Files.getAttribute(made, "unix:ino"));
            own.node(OwnChanges.statxDev((Long) root.get("dev")), (Long) Files.getAttribute(made, "unix:ino"),
                    ((FileTime) Files.getAttribute(made, "unix:ctime")).to(TimeUnit.NANOSECONDS));
            own.end(ticket);
            assertThat(batches.poll(1, TimeUnit.SECONDS)).as("nothing told to the guest").isNull();
            assertThat(watcher.leftOut()).isPositive();
            assertThat(watcher.unsettled()).isZero();
            // and the host's change after it is still told
            Files.writeString(share.resolve("host.txt"), "host");
            assertThat(batches.poll(5, TimeUnit.SECONDS)).isNotNull();
        }
    }

    @Test
    void theTableStaysBounded() {
        AtomicLong now = new AtomicLong();
        OwnChanges own = new OwnChanges(now::get);
        own.watching(true);
        for (int i = 0; i < OwnChanges.MAX_RECORDS; i++) {
            own.node(1, i, 0);
        }
        now.addAndGet(OwnChanges.WINDOW_NANOS + 1);
        own.node(1, -1, 0);
        assertThat(own.size()).as("expired records swept").isEqualTo(1);
        for (int i = 0; i < OwnChanges.MAX_RECORDS + 10; i++) {
            own.node(2, i, 0);
        }
        assertThat(own.size()).isLessThanOrEqualTo(OwnChanges.MAX_RECORDS);
    }

    @Test
    void statDeviceNumbersBecomeStatxOnes() {
        // makedev(8, 1) and makedev(259, 65539) as glibc encodes them
        assertThat(OwnChanges.statxDev(0x801L)).isEqualTo(8L << 32 | 1);
        long major = 259;
        long minor = 65539;
        long stDev = ((major & 0xfff) << 8) | ((major & ~0xfffL) << 32) | (minor & 0xff) | ((minor & ~0xffL) << 12);
        assertThat(OwnChanges.statxDev(stDev)).isEqualTo(major << 32 | minor);
    }

    @Test
    void aTruncationOnOpenIsTheServersOwnChange() throws Exception {
        Path share = Files.createDirectory(dir.resolve("share"));
        Path file = Files.writeString(share.resolve("out.txt"), "old content\n");
        try (FuseServer server = FuseServer.open(share, false, FuseTestDriver.UID, FuseTestDriver.GID, CacheTimeouts.DEFAULT)) {
            server.ownChanges().watching(true);
            FuseTestDriver fuse = new FuseTestDriver(server);
            fuse.init().ok();
            long node = fuse.lookup(1, "out.txt").nodeId();
            // open(O_WRONLY | O_TRUNC) in the guest: OPEN (ENOSYS), then, without ATOMIC_O_TRUNC, the VFS's
            // truncation as SETATTR(size 0, mtime now) with no fh
            fuse.open(node, HostLibC.O_WRONLY | HostLibC.O_TRUNC);
            fuse.setattr(node, FuseProtocol.FATTR_SIZE | FuseProtocol.FATTR_MTIME | FuseProtocol.FATTR_MTIME_NOW, 0, 0,
                    0, 0, 0, 0, 0).ok();
            assertThat(Files.size(file)).isZero();
            assertThat(isOwnNode(server, file)).as("the truncation is left out").isTrue();
            fuse.write(node, 0, 0, "new\n".getBytes(StandardCharsets.UTF_8));
            assertThat(isOwnNode(server, file)).as("so is the write by nodeid after it").isTrue();
            Thread.sleep(20); // past the host clock's tick
            Files.writeString(file, "host\n");
            assertThat(isOwnNode(server, file)).as("a host write after them is not").isFalse();
        }
    }

    private static boolean isOwnNode(FuseServer server, Path file) throws IOException {
        Map<String, Object> a = Files.readAttributes(file, "unix:dev,ino,ctime", LinkOption.NOFOLLOW_LINKS);
        long ctime = ((FileTime) a.get("ctime")).to(TimeUnit.NANOSECONDS);
        return server.ownChanges().isOwnNode(OwnChanges.statxDev((Long) a.get("dev")), (Long) a.get("ino"), ctime);
    }

    @Test
    void theGuestsOwnChangesAreLeftOutAndTheHostsAreNot() throws Exception {
        Path share = Files.createDirectory(dir.resolve("share"));
        Files.writeString(share.resolve("host.txt"), "host\n");
        FuseServer server = FuseServer.open(share, false, FuseTestDriver.UID, FuseTestDriver.GID, CacheTimeouts.DEFAULT);
        LinkedBlockingQueue<ShareWatcher.Changes> batches = new LinkedBlockingQueue<>();
        try (ShareWatcher watcher = ShareWatcher.start(share, server.ownChanges(), c -> {
            batches.add(c);
            return CompletableFuture.completedFuture(null);
        }, e -> { })) {
            FuseTestDriver fuse = new FuseTestDriver(server);
            fuse.init().ok();
            // what a guest does in a build: make a directory, create and write files, rename one over another, remove
            Entry out = fuse.mkdir(1, "out");
            Created a = fuse.create(out.nodeId(), "a.o");
            fuse.write(a.entry().nodeId(), a.fh(), 0, "object".getBytes(StandardCharsets.UTF_8));
            fuse.release(a.entry().nodeId(), a.fh()).ok();
            Created tmp = fuse.create(out.nodeId(), "b.tmp");
            fuse.release(tmp.entry().nodeId(), tmp.fh()).ok();
            fuse.rename(out.nodeId(), "b.tmp", out.nodeId(), "b.o").ok();
            fuse.unlink(out.nodeId(), "a.o").ok();
            long hostFile = fuse.lookup(1, "host.txt").nodeId();
            long fh = fuse.open(hostFile, HostLibC.O_RDWR);
            fuse.write(hostFile, fh, 0, "guest".getBytes(StandardCharsets.UTF_8));
            fuse.release(hostFile, fh).ok();
            assertThat(batches.poll(1, TimeUnit.SECONDS)).as("nothing the guest did comes back to it").isNull();
            assertThat(watcher.leftOut()).as("events left out (the JDK merges repeats)").isPositive();

            // the directory the guest made is watched: a host change inside it is reported; so is a host edit of a
            // file the guest wrote a moment ago (it changes the ctime the server recorded)
            Path hostMade = share.resolve("out/host.o");
            Files.writeString(hostMade, "from the host");
            Thread.sleep(20); // past the host clock's tick, so the ctime moves (OwnChanges' one gap)
            Files.writeString(share.resolve("host.txt"), "edited on the host\n");
            List<Path> seen = new ArrayList<>();
            ShareWatcher.Changes c;
            while ((c = batches.poll(1, TimeUnit.SECONDS)) != null) {
                seen.addAll(c.paths());
            }
            assertThat(seen).contains(hostMade, share.resolve("out"), share.resolve("host.txt"));
        } finally {
            server.close();
        }
    }
}
