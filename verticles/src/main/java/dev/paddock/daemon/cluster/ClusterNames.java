package dev.paddock.daemon.cluster;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.lifecycle.SandboxNames;
import io.vertx.core.Future;
import java.util.List;

/** Sandbox names reserved cluster-wide in {@link ClusterDirectory#NAMES}, so NAME_TAKEN holds on every member. */
public final class ClusterNames implements SandboxNames {
    private static final System.Logger LOG = System.getLogger(ClusterNames.class.getName());
    private final ClusterDirectory directory;

    public ClusterNames(ClusterDirectory directory) {
        this.directory = directory;
    }

    @Override
    public Future<Void> claim(String name, String id) {
        return directory.claimName(name, id).compose(holder -> holder == null ? Future.succeededFuture()
                : Future.failedFuture(new DaemonException(ErrorCode.NAME_TAKEN, "the name \"" + name + "\" is taken"
                + " by sandbox " + holder + " in the cluster; choose another name or remove that sandbox first",
                "name", List.of())));
    }

    @Override
    public void release(String name, String id) {
        directory.releaseName(name, id).onFailure(e -> LOG.log(System.Logger.Level.WARNING, "cannot release the"
                + " cluster name \"" + name + "\" of sandbox " + id + ": " + e.getMessage()));
    }
}
