package dev.paddock.daemon.cluster;

import dev.paddock.daemon.Daemon;
import dev.paddock.daemon.metrics.DaemonMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Starts a clustered Vert.x on Hazelcast. The only class a daemon touches on its way into the cluster that names
 * Hazelcast types in its signatures' bodies: its methods return Vert.x types, so a plain daemon, which never calls
 * it, never loads a {@code com.hazelcast} class (ClusterIT checks it).
 */
public final class ClusterBoot {
    private ClusterBoot() { }

    /** A clustered Vert.x (its metrics into the daemon's registry), joined, with its event bus on the bind host. */
    public static Future<Cluster> start(VertxOptions options, DaemonMetrics metrics, ClusterOptions cluster) {
        HazelcastClusterManager manager = new HazelcastClusterManager(HazelcastConfigs.build(cluster));
        // The clustered event bus (member to member messages) listens on the same private interface, any port.
        options.getEventBusOptions().setHost(cluster.bindHost()).setPort(0).setClusterPublicHost(cluster.bindHost());
        return Daemon.newVertxBuilder(options, metrics).withClusterManager(manager).buildClustered()
                .map(vertx -> new Cluster(vertx, manager, cluster));
    }

    /** Ends this member's Hazelcast instance without leaving politely: what {@code kill -9} does (tests). */
    public static void crash(Cluster cluster) {
        ((HazelcastClusterManager) cluster.manager()).getHazelcastInstance().getLifecycleService().terminate();
    }
}
