package dev.paddock.runtime.virtio.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.runtime.virtio.fs.fuse.OwnChanges;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host changes under a watched share become batches for the guest; the server's own changes are in OwnChangesTest. */
class ShareWatcherTest {
    @TempDir
    Path dir;
    Path share;
    final LinkedBlockingQueue<ShareWatcher.Changes> batches = new LinkedBlockingQueue<>();
    final List<Throwable> stops = new CopyOnWriteArrayList<>();
    ShareWatcher watcher;

    @BeforeEach
    void start() throws IOException {
        share = Files.createDirectory(dir.resolve("share"));
        Files.createDirectories(share.resolve("src/deep"));
        Files.writeString(share.resolve("src/deep/A.java"), "class A {}\n");
        watcher = ShareWatcher.start(share, new OwnChanges(), changes -> {
            batches.add(changes);
            return CompletableFuture.completedFuture(null);
        }, stops::add);
    }

    @AfterEach
    void stop() {
        watcher.close();
    }

    ShareWatcher.Changes next() throws InterruptedException {
        ShareWatcher.Changes c = batches.poll(5, TimeUnit.SECONDS);
        assertThat(c).as("a batch within 5 s").isNotNull();
        return c;
    }

    /** Batches until none came for half a second, merged. */
    List<ShareWatcher.Changes> drain() throws InterruptedException {
        List<ShareWatcher.Changes> all = new ArrayList<>();
        ShareWatcher.Changes c;
        while ((c = batches.poll(500, TimeUnit.MILLISECONDS)) != null) {
            all.add(c);
        }
        return all;
    }

    @Test
    void watchesEveryDirectoryOfTheTree() {
        assertThat(watcher.watchedDirectories()).isEqualTo(3);
        assertThat(watcher.root()).isEqualTo(share);
        assertThat(watcher.isRunning()).isTrue();
    }

    @Test
    void anEditInPlaceRefreshesThatFileOnly() throws Exception {
        Path file = share.resolve("src/deep/A.java");
        Files.writeString(file, "class A { int x; }\n");
        ShareWatcher.Changes c = next();
        assertThat(c.paths()).containsExactly(file);
        assertThat(c.names()).as("no name changed").isFalse();
        assertThat(c.everything()).isFalse();
    }

    @Test
    void aNewNameRefreshesItAndItsDirectoryAndDropsEntries() throws Exception {
        Path file = share.resolve("src/New.java");
        Files.writeString(file, "class New {}\n");
        List<ShareWatcher.Changes> all = drain();
        assertThat(all).isNotEmpty();
        assertThat(all.get(0).names()).isTrue();
        assertThat(all.stream().flatMap(c -> c.paths().stream())).contains(file, share.resolve("src"));
    }

    @Test
    void aRemovedNameIsReported() throws Exception {
        Path file = share.resolve("src/deep/A.java");
        Files.delete(file);
        ShareWatcher.Changes c = next();
        assertThat(c.names()).isTrue();
        assertThat(c.paths()).contains(file, file.getParent());
    }

    @Test
    void anEditorsSaveByRenameIsANameChange() throws Exception {
        Path file = share.resolve("src/deep/A.java");
        Path tmp = share.resolve("src/deep/.A.java.swp");
        Files.writeString(tmp, "class A { int y; }\n");
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        List<ShareWatcher.Changes> all = drain();
        assertThat(all.stream().anyMatch(ShareWatcher.Changes::names)).isTrue();
        assertThat(all.stream().flatMap(c -> c.paths().stream())).contains(file);
    }

    @Test
    void aDirectoryMadeOnTheHostIsWatchedToo() throws Exception {
        Path made = Files.createDirectories(share.resolve("gen/out"));
        drain();
        Path file = made.resolve("x.o");
        Files.writeString(file, "o");
        List<ShareWatcher.Changes> all = drain();
        assertThat(all.stream().flatMap(c -> c.paths().stream())).contains(file);
        assertThat(watcher.watchedDirectories()).isEqualTo(5);
    }

    @Test
    void aRenamedDirectoryReportsItsNewPaths() throws Exception {
        Files.move(share.resolve("src"), share.resolve("lib"));
        drain();
        Path file = share.resolve("lib/deep/A.java");
        Files.writeString(file, "class A { int z; }\n");
        List<ShareWatcher.Changes> all = drain();
        assertThat(all.stream().flatMap(c -> c.paths().stream())).contains(file)
                .doesNotContain(share.resolve("src/deep/A.java"));
    }

    @Test
    void moreChangesThanOneBatchHoldsBecomeEverything() throws Exception {
        Path many = Files.createDirectory(share.resolve("many"));
        drain();
        for (int i = 0; i <= ShareWatcher.MAX_PATHS; i++) {
            Files.writeString(many.resolve("f" + i), "x");
        }
        List<ShareWatcher.Changes> all = drain();
        assertThat(all).anySatisfy(c -> {
            assertThat(c.everything()).isTrue();
            assertThat(c.names()).isTrue();
            assertThat(c.paths()).containsExactly(share);
        });
    }

    @Test
    void aGuestThatDoesNotAnswerStopsTheWatcher() throws Exception {
        watcher.close();
        CompletableFuture<Object> failed = CompletableFuture.failedFuture(new IOException("agent gone"));
        watcher = ShareWatcher.start(share, new OwnChanges(), changes -> failed, stops::add);
        Files.writeString(share.resolve("src/deep/A.java"), "class A { int w; }\n");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (stops.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(stops).hasSize(1);
        assertThat(stops.get(0)).hasRootCauseMessage("agent gone");
        assertThat(watcher.isRunning()).isFalse();
    }

    @Test
    void theNextBatchWaitsForTheGuestsAnswer() throws Exception {
        watcher.close();
        List<CompletableFuture<Object>> answers = new CopyOnWriteArrayList<>();
        watcher = ShareWatcher.start(share, new OwnChanges(), changes -> {
            batches.add(changes);
            CompletableFuture<Object> f = new CompletableFuture<>();
            answers.add(f);
            return f;
        }, stops::add);
        Files.writeString(share.resolve("one"), "1");
        next();
        Files.writeString(share.resolve("two"), "2");
        assertThat(batches.poll(500, TimeUnit.MILLISECONDS)).as("held back until the first is answered").isNull();
        answers.get(0).complete(null);
        assertThat(next().paths()).contains(share.resolve("two"));
    }

    @Test
    void directoriesThatComeAndGoAtOnceDoNotStopTheWatcher() throws Exception {
        // A build tool's mkdir/rmdir races the watcher's registration of the new directory: gone by then is fine.
        for (int i = 0; i < 300; i++) {
            Path d = Files.createDirectories(share.resolve("tmp" + i + "/sub"));
            Files.delete(d);
            Files.delete(d.getParent());
        }
        drain();
        assertThat(stops).as("the watcher stopped on its own").isEmpty();
        assertThat(watcher.isRunning()).isTrue();
        Path file = share.resolve("src/deep/A.java");
        Files.writeString(file, "class A { int after; }\n");
        assertThat(drain().stream().flatMap(c -> c.paths().stream())).contains(file);
    }

    @Test
    void networkAndFuseFileSystemsAreNotWatched() {
        assertThat(ShareWatcher.locallyWatchable("ext4")).isTrue();
        assertThat(ShareWatcher.locallyWatchable("tmpfs")).isTrue();
        assertThat(ShareWatcher.locallyWatchable("xfs")).isTrue();
        assertThat(ShareWatcher.locallyWatchable("9p")).isFalse();
        assertThat(ShareWatcher.locallyWatchable("nfs4")).isFalse();
        assertThat(ShareWatcher.locallyWatchable("fuse.sshfs")).isFalse();
        assertThat(ShareWatcher.locallyWatchable("virtiofs")).isFalse();
        assertThat(ShareWatcher.canWatch(share)).as("a local directory").isTrue();
        assertThat(ShareWatcher.canWatch(share.resolve("nope"))).as("a missing one").isFalse();
    }

    @Test
    void aMissingDirectoryIsAClearError() {
        assertThatThrownBy(() -> ShareWatcher.start(share.resolve("nope"), new OwnChanges(),
                c -> CompletableFuture.completedFuture(null), stops::add))
                .isInstanceOf(IOException.class);
    }
}
