package dev.paddock.daemon.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;

/**
 * The Hazelcast {@link Config} of a clustered daemon, built in code from {@link ClusterOptions}; no
 * {@code cluster.xml} on the classpath is read. Multicast and every cloud/auto discovery are off: a member joins
 * exactly the listed members over TCP-IP, listens only on the bind address, and sends nothing home.
 */
public final class HazelcastConfigs {
    /** The Vert.x subscription multimap and node maps, as vertx-hazelcast's own default configuration sets them. */
    static final String VERTX_SUBS = "__vertx.subs";
    static final String[] VERTX_MAPS = {"__vertx.haInfo", "__vertx.nodeInfo"};

    private HazelcastConfigs() { }

    public static Config build(ClusterOptions o) {
        Config c = new Config();
        c.setClusterName(o.name());
        c.setInstanceName("paddock-" + o.name() + "-" + o.bindHost() + "-" + o.port());
        // Hazelcast's phone-home reports the cluster to hazelcast.com; a daemon makes no calls it was not asked for.
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.logging.type", "jdk");
        // The daemon's own shutdown hook stops sandboxes, then leaves the cluster; Hazelcast's would leave first.
        c.setProperty("hazelcast.shutdownhook.enabled", "false");
        // Bind only the interfaces configured below, never 0.0.0.0.
        c.setProperty("hazelcast.socket.bind.any", "false");
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(o.failureTimeoutSeconds()));
        // The first member need not wait long for members that are not up yet; they join it when they start.
        c.setProperty("hazelcast.wait.seconds.before.join", "1");

        NetworkConfig n = c.getNetworkConfig();
        n.setPort(o.port()).setPortAutoIncrement(false).setPortCount(1);
        n.getInterfaces().setEnabled(true).clear().addInterface(o.bindHost());
        n.setPublicAddress(o.bindHost() + ":" + o.port());
        JoinConfig join = n.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getAwsConfig().setEnabled(false);
        join.getGcpConfig().setEnabled(false);
        join.getAzureConfig().setEnabled(false);
        join.getKubernetesConfig().setEnabled(false);
        join.getEurekaConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(3).setMembers(o.members());

        c.addMultiMapConfig(new MultiMapConfig(VERTX_SUBS).setBackupCount(1)
                .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
        for (String map : VERTX_MAPS) {
            c.addMapConfig(new MapConfig(map).setBackupCount(1));
        }
        // The cluster's view of sandboxes, names and members (ClusterDirectory): one backup, so the entries of a
        // member that leaves survive on another.
        for (String map : ClusterDirectory.MAPS) {
            c.addMapConfig(new MapConfig(map).setBackupCount(1));
        }
        return c;
    }
}
