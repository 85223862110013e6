package dev.paddock.daemon.driver.microvm;

import dev.paddock.daemon.sandbox.Workspace;
import dev.paddock.runtime.virtio.fs.FsDevice;
import dev.paddock.runtime.virtio.fs.FsDeviceConfig;
import dev.paddock.runtime.virtio.fs.ShareWatcher;
import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.agent.ExecProcess;
import dev.paddock.vsock.agent.ExecRequest;
import dev.paddock.vsock.agent.ExitStatus;
import dev.paddock.vsock.agent.FsInvalidation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A sandbox's workspaces in its microVM: one virtio-fs device per workspace (tag {@code ws<N>}, served by runtime's
 * confined FUSE server, read-only where the spec says so), and once the agent answers, a mount of each tag at the
 * workspace's own absolute path in the guest (docs/devices/virtio-fs.md, docs/sandbox-driver.md). The host enforces
 * the read-only scope and the confinement; the guest's mount decides where the share shows, and mounts a read-only
 * one {@code -o ro} so that the guest refuses a write open(2) itself with EROFS (the share's server no longer sees
 * opens, only the writes and truncations behind them, which it refuses too).
 */
final class GuestWorkspaces {
    private static final System.Logger LOG = System.getLogger(GuestWorkspaces.class.getName());
    private static final int MAX_OUTPUT = 4096;
    /**
     * Mounts share $2 at path $1 with option $3 ({@code ro} or {@code rw}); the mount point is created in the guest's
     * writable root (the overlay).
     */
    private static final String MOUNT = "mkdir -p \"$1\" && mount -t virtiofs -o \"$3\" \"$2\" \"$1\"";

    private GuestWorkspaces() {
    }

    static String tag(int index) {
        return "ws" + index;
    }

    /**
     * The virtio-fs devices, in the order of the spec's workspaces. A share the host can watch is marked
     * {@linkplain FsDeviceConfig#hostInvalidated host-invalidated}: {@link #watch} will tell the image's agent (protocol
     * 1.1, §13) what changes on the host.
     */
    static List<FsDeviceConfig> devices(List<Workspace> workspaces) {
        List<FsDeviceConfig> devices = new ArrayList<>();
        for (int i = 0; i < workspaces.size(); i++) {
            Workspace w = workspaces.get(i);
            Path path = Path.of(w.path());
            devices.add(FsDeviceConfig.of(tag(i), path, w.readOnly()).withHostInvalidated(ShareWatcher.canWatch(path)));
        }
        return devices;
    }

    /** Mounts every workspace at its path in the guest, one after the other; fails with what the guest said. */
    static Future<Void> mount(AgentClient agent, List<Workspace> workspaces) {
        Future<Void> chain = Future.succeededFuture();
        for (int i = 0; i < workspaces.size(); i++) {
            String path = workspaces.get(i).path();
            String tag = tag(i);
            ExecRequest request = mountRequest(workspaces.get(i), tag);
            chain = chain.compose(v -> agent.exec(request).compose(p -> awaitSuccess(p, path, tag)));
        }
        return chain;
    }

    /** The agent's command that mounts {@code workspace}, shared as {@code tag}: read-only ones {@code -o ro}. */
    static ExecRequest mountRequest(Workspace workspace, String tag) {
        return ExecRequest.of("/bin/sh", "-c", MOUNT, "sh", workspace.path(), tag, workspace.readOnly() ? "ro" : "rw");
    }

    /**
     * Starts a host watcher on every share whose changes the guest must be told of (docs/devices/virtio-fs.md, "Host
     * changes"): each batch goes to the agent as FS_INVALIDATE, and the share's FUSE server then lets the guest cache
     * for long. A share that cannot be watched (a network file system, too few inotify watches) or an agent older
     * than protocol 1.1 keeps the short timeouts. Watchers stop when the agent connection ends.
     *
     * @return how many shares are watched
     */
    static Future<Integer> watch(Vertx vertx, AgentClient agent, List<FsDevice> shares) {
        if (shares.isEmpty()) {
            return Future.succeededFuture(0);
        }
        if (agent.agent().minor() < 1) {
            LOG.log(Level.WARNING, "the sandbox's agent speaks protocol " + agent.agent().major() + "."
                    + agent.agent().minor() + ", without FS_INVALIDATE: its workspaces keep 1 s cache timeouts");
            return Future.succeededFuture(0);
        }
        Future<Integer> watched = vertx.executeBlocking(() -> {
            int n = 0;
            for (FsDevice share : shares) {
                try {
                    share.watchHost(changes -> agent.invalidateFs(request(changes)).toCompletionStage());
                    n++;
                } catch (IOException e) {
                    LOG.log(Level.WARNING, e.getMessage() + "; this workspace keeps 1 s cache timeouts"
                            + (share.config().hostInvalidated() ? ", and a host edit that keeps a file's size shows in"
                            + " the guest only once its cached pages of that file are gone" : ""));
                }
            }
            return n;
        }, false);
        agent.closeFuture().onComplete(ignored -> vertx.executeBlocking(() -> {
            shares.forEach(FsDevice::stopWatchingHost);
            return null;
        }, false));
        return watched;
    }

    /** One watcher batch as the agent's request: "everything" also refreshes the guest's open files. */
    static FsInvalidation request(ShareWatcher.Changes changes) {
        List<String> paths = changes.paths().stream().map(Path::toString).sorted().toList();
        return new FsInvalidation(paths, changes.names(), changes.everything());
    }

    private static Future<Void> awaitSuccess(ExecProcess p, String path, String tag) {
        Buffer output = Buffer.buffer();
        p.stdout().handler(b -> keep(output, b));
        p.stderr().handler(b -> keep(output, b));
        return p.closeStdin().compose(v -> p.exitStatus()).compose(status -> {
            if (status instanceof ExitStatus.Exited e && e.code() == 0) {
                return Future.succeededFuture();
            }
            return Future.failedFuture(new IllegalStateException("mounting the workspace " + path + " (virtio-fs tag "
                    + tag + ") in the guest failed (" + status + "): " + output.toString().strip()
                    + "; the image's initramfs must load the fuse and virtiofs modules (guest/image/modules)"));
        });
    }

    private static void keep(Buffer output, Buffer b) {
        if (output.length() < MAX_OUTPUT) {
            output.appendBuffer(b.length() > MAX_OUTPUT - output.length() ? b.getBuffer(0, MAX_OUTPUT - output.length()) : b);
        }
    }
}
