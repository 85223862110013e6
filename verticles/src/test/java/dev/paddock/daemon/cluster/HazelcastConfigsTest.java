package dev.paddock.daemon.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MultiMapConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class HazelcastConfigsTest {
    private static ClusterOptions options(String host, List<String> members) {
        return new ClusterOptions(host, 5801, members, "pd-test", "alpha", Path.of("/tmp/token"), 7);
    }

    @Test
    void joinsExactlyTheListedMembersOverTcpAndNothingElse() {
        Config c = HazelcastConfigs.build(options("127.0.0.1", List.of("127.0.0.1:5801", "127.0.0.1:5802")));
        JoinConfig join = c.getNetworkConfig().getJoin();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
        assertThat(join.getAwsConfig().isEnabled()).isFalse();
        assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
        assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
        assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5801", "127.0.0.1:5802");
        assertThat(c.getClusterName()).isEqualTo("pd-test");
    }

    @Test
    void bindsOnlyTheGivenInterfaceAndPort() {
        Config c = HazelcastConfigs.build(options("10.1.2.3", List.of("10.1.2.3:5801")));
        assertThat(c.getNetworkConfig().getPort()).isEqualTo(5801);
        assertThat(c.getNetworkConfig().isPortAutoIncrement()).isFalse();
        assertThat(c.getNetworkConfig().getInterfaces().isEnabled()).isTrue();
        assertThat(c.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("10.1.2.3");
        assertThat(c.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
        assertThat(c.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
        assertThat(c.getProperty("hazelcast.shutdownhook.enabled")).isEqualTo("false");
        assertThat(c.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("7");
    }

    @Test
    void keepsVertxsSubscriptionsAsASetAndBacksUpTheClusterView() {
        Config c = HazelcastConfigs.build(options("127.0.0.1", List.of("127.0.0.1:5801")));
        assertThat(c.getMultiMapConfig("__vertx.subs").getValueCollectionType())
                .isEqualTo(MultiMapConfig.ValueCollectionType.SET);
        for (String map : List.of(ClusterDirectory.SANDBOXES, ClusterDirectory.NAMES, ClusterDirectory.MEMBERS,
                "__vertx.haInfo", "__vertx.nodeInfo")) {
            assertThat(c.getMapConfig(map).getBackupCount()).as(map).isEqualTo(1);
        }
    }

    @Test
    void badOptionsNameTheFlagAndTheFix() {
        assertThatThrownBy(() -> options("db.local", List.of("10.0.0.1:5701")))
                .hasMessageContaining("--cluster db.local:5801").hasMessageContaining("IPv4");
        assertThatThrownBy(() -> options("0.0.0.0", List.of("10.0.0.1:5701")))
                .hasMessageContaining("one private interface");
        assertThatThrownBy(() -> options("10.0.0.1", List.of())).hasMessageContaining("--cluster-members");
        assertThatThrownBy(() -> options("10.0.0.1", List.of("10.0.0.2"))).hasMessageContaining("\"10.0.0.2\"");
        assertThatThrownBy(() -> new ClusterOptions("10.0.0.1", 5701, List.of("10.0.0.1:5701"), "a b", "x",
                Path.of("/t"), 20)).hasMessageContaining("--cluster-name");
    }
}
