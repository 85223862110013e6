package dev.paddock.daemon.cluster;

import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.ClusterManager;
import java.util.Objects;

/** A daemon's membership: its clustered Vert.x, the cluster manager (node id, members, leaves) and its options. */
public record Cluster(Vertx vertx, ClusterManager manager, ClusterOptions options) {
    public Cluster {
        Objects.requireNonNull(vertx, "vertx");
        Objects.requireNonNull(manager, "manager");
        Objects.requireNonNull(options, "options");
    }

    public String nodeId() {
        return manager.getNodeId();
    }
}
