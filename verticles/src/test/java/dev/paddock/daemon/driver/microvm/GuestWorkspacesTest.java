package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.sandbox.Workspace;
import dev.paddock.runtime.virtio.fs.FsDevice;
import dev.paddock.runtime.virtio.fs.FsDeviceConfig;
import dev.paddock.runtime.virtio.fs.ShareWatcher;
import dev.paddock.runtime.virtio.fs.fuse.CacheTimeouts;
import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.agent.AgentInfo;
import dev.paddock.vsock.agent.AgentStream;
import dev.paddock.vsock.agent.ExecProcess;
import dev.paddock.vsock.agent.ExecRequest;
import dev.paddock.vsock.agent.FsInvalidated;
import dev.paddock.vsock.agent.FsInvalidation;
import dev.paddock.vsock.agent.Health;
import dev.paddock.vsock.agent.StreamTarget;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The workspaces' devices, and their host watchers wired to the agent (no VM: a fake agent, a real FUSE server). */
class GuestWorkspacesTest {
    @TempDir
    Path dir;
    Vertx vertx;
    ExecutorService workers;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        workers = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void stop() throws Exception {
        workers.shutdownNow();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void oneDevicePerWorkspaceInOrder() {
        List<FsDeviceConfig> devices = GuestWorkspaces.devices(List.of(new Workspace("/src/a", false),
                new Workspace("/src/b", true)));
        assertThat(devices).extracting(FsDeviceConfig::tag).containsExactly("ws0", "ws1");
        assertThat(devices).extracting(FsDeviceConfig::readOnly).containsExactly(false, true);
    }

    @Test
    void aShareTheHostCanWatchIsMarkedHostInvalidated() throws Exception {
        Path local = Files.createDirectory(dir.resolve("local"));
        List<FsDeviceConfig> devices = GuestWorkspaces.devices(List.of(new Workspace(local.toString(), false),
                new Workspace(dir.resolve("not-there").toString(), false)));
        assertThat(devices).extracting(FsDeviceConfig::hostInvalidated)
                .as("a local directory is watched, so the server leaves AUTO_INVAL_DATA out; one it cannot watch keeps it")
                .containsExactly(true, false);
    }

    @Test
    void readOnlyWorkspacesAreMountedReadOnly() throws Exception {
        // the agent's command run here, with a mount(8) that only says how it was called
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Path fakeMount = Files.writeString(bin.resolve("mount"), "#!/bin/sh\necho \"$@\"\n");
        Files.setPosixFilePermissions(fakeMount, PosixFilePermissions.fromString("rwxr-xr-x"));
        String readOnly = dir.resolve("src/with space/b").toString();
        assertThat(run(GuestWorkspaces.mountRequest(new Workspace(readOnly, true), "ws1"), bin))
                .isEqualTo("-t virtiofs -o ro ws1 " + readOnly);
        assertThat(Files.isDirectory(Path.of(readOnly))).as("the mount point made").isTrue();
        String writable = dir.resolve("src/a").toString();
        assertThat(run(GuestWorkspaces.mountRequest(new Workspace(writable, false), "ws0"), bin))
                .isEqualTo("-t virtiofs -o rw ws0 " + writable);
    }

    private static String run(ExecRequest request, Path bin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(request.argv()).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":/usr/bin:/bin");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).as("exit status; output: %s", out).isZero();
        return out;
    }

    @Test
    void aBatchBecomesOneSortedRequest() {
        FsInvalidation r = GuestWorkspaces.request(new ShareWatcher.Changes(Set.of(Path.of("/w/b"), Path.of("/w"),
                Path.of("/w/a")), true, false));
        assertThat(r.paths()).containsExactly("/w", "/w/a", "/w/b");
        assertThat(r.dropEntries()).isTrue();
        assertThat(r.openFiles()).isFalse();
        assertThat(GuestWorkspaces.request(new ShareWatcher.Changes(Set.of(Path.of("/w")), true, true)).openFiles())
                .as("everything refreshes the open files too").isTrue();
    }

    @Test
    void hostChangesReachTheAgentAndTheGuestCachesLongUntilTheAgentGoes() throws Exception {
        Path share = Files.createDirectory(dir.resolve("share"));
        FsDevice device = FsDevice.open(FsDeviceConfig.of("ws0", share, false), workers, Runnable::run);
        FakeAgent agent = new FakeAgent(1);
        try {
            int watched = GuestWorkspaces.watch(vertx, agent, List.of(device)).await(10, TimeUnit.SECONDS);
            assertThat(watched).isEqualTo(1);
            assertThat(device.server().cacheTimeouts()).isEqualTo(CacheTimeouts.HOST_INVALIDATED);

            Files.writeString(share.resolve("edited-on-the-host.txt"), "x");
            FsInvalidation sent = agent.requests.poll(5, TimeUnit.SECONDS);
            assertThat(sent).isNotNull();
            assertThat(sent.paths()).contains(share.resolve("edited-on-the-host.txt").toString(), share.toString());
            assertThat(sent.dropEntries()).isTrue();

            agent.closed.complete();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (device.server().cacheTimeouts() != CacheTimeouts.DEFAULT && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(device.server().cacheTimeouts()).as("short again once the agent is gone").isEqualTo(CacheTimeouts.DEFAULT);
        } finally {
            device.close();
        }
    }

    @Test
    void anAgentWithoutFsInvalidateLeavesTheShortTimeouts() throws Exception {
        FsDevice device = FsDevice.open(FsDeviceConfig.of("ws0", Files.createDirectory(dir.resolve("s")), true), workers,
                Runnable::run);
        try {
            assertThat(GuestWorkspaces.watch(vertx, new FakeAgent(0), List.of(device)).await(10, TimeUnit.SECONDS)).isZero();
            assertThat(device.server().cacheTimeouts()).isEqualTo(CacheTimeouts.DEFAULT);
        } finally {
            device.close();
        }
    }

    /** Only what watching uses: the HELLO's version, FS_INVALIDATE, the connection's end. */
    static final class FakeAgent implements AgentClient {
        final LinkedBlockingQueue<FsInvalidation> requests = new LinkedBlockingQueue<>();
        final Promise<Void> closed = Promise.promise();
        final AgentInfo info;

        FakeAgent(int minor) {
            info = new AgentInfo(1, minor, 0, 65536, 1024, "fake-agent/1." + minor);
        }

        @Override
        public Future<FsInvalidated> invalidateFs(FsInvalidation invalidation) {
            requests.add(invalidation);
            return Future.succeededFuture(new FsInvalidated(invalidation.paths().size(), 0, 0, true, false));
        }

        @Override
        public AgentInfo agent() {
            return info;
        }

        @Override
        public Future<Void> closeFuture() {
            return closed.future();
        }

        @Override
        public Future<ExecProcess> exec(ExecRequest request) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<AgentStream> openStream(StreamTarget target) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Health> health() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Void> shutdown() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Future<Void> close() {
            closed.tryComplete();
            return Future.succeededFuture();
        }
    }
}
