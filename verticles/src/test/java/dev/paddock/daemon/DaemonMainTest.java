package dev.paddock.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DaemonMainTest {
    @Test
    void bridgeAloneIsOffAndAPortAloneMeansLoopback() {
        DaemonConfig none = DaemonMain.parse(new String[] {"--state", "/tmp/pd-x"});
        assertThat(none.bridgeHost()).isNull();
        assertThat(none.needsToken()).isFalse();
        DaemonConfig port = DaemonMain.parse(new String[] {"--state", "/tmp/pd-x", "--bridge", "7071"});
        assertThat(port.bridgeHost()).isEqualTo("127.0.0.1");
        assertThat(port.bridgePort()).isEqualTo(7071);
        assertThat(port.needsToken()).isTrue();
        assertThat(port.stateDir()).isEqualTo(Path.of("/tmp/pd-x"));
        DaemonConfig host = DaemonMain.parse(new String[] {"--bridge", "10.0.0.5:7072", "--tcp", "127.0.0.1:0"});
        assertThat(host.bridgeHost()).isEqualTo("10.0.0.5");
        assertThat(host.bridgePort()).isEqualTo(7072);
        assertThat(host.tcpHost()).isEqualTo("127.0.0.1");
    }

    @Test
    void badBridgeValuesNameTheFlagAndTheFix() {
        assertThatThrownBy(() -> DaemonMain.parse(new String[] {"--bridge", "0"}))
                .hasMessageContaining("--bridge 0").hasMessageContaining("fixed port");
        assertThatThrownBy(() -> DaemonMain.parse(new String[] {"--bridge", "x:y"}))
                .hasMessageContaining("--bridge x:y").hasMessageContaining("not a number");
        assertThatThrownBy(() -> DaemonMain.parse(new String[] {"--bridge", "70000"}))
                .hasMessageContaining("0..65535");
        assertThatThrownBy(() -> DaemonMain.parse(new String[] {"--bridge"})).hasMessageContaining("needs a value");
    }

    @Test
    void clusterFlagsBuildTheOptionsAndNeedTcpAndAToken() {
        DaemonConfig plain = DaemonMain.parse(new String[] {"--state", "/tmp/pd-x"});
        assertThat(plain.cluster()).isNull();
        DaemonConfig c = DaemonMain.parse(new String[] {"--state", "/tmp/pd-x", "--tcp", "127.0.0.1:0",
                "--cluster", "127.0.0.1:5801", "--cluster-members", "127.0.0.1:5801, 127.0.0.1:5802",
                "--cluster-token-file", "/tmp/pd-token", "--cluster-name", "team", "--cluster-host-label", "alpha",
                "--cluster-failure-timeout", "9"});
        assertThat(c.cluster().bindHost()).isEqualTo("127.0.0.1");
        assertThat(c.cluster().port()).isEqualTo(5801);
        assertThat(c.cluster().members()).containsExactly("127.0.0.1:5801", "127.0.0.1:5802");
        assertThat(c.cluster().name()).isEqualTo("team");
        assertThat(c.cluster().hostLabel()).isEqualTo("alpha");
        assertThat(c.cluster().tokenFile()).isEqualTo(Path.of("/tmp/pd-token"));
        assertThat(c.cluster().failureTimeoutSeconds()).isEqualTo(9);
        assertThatThrownBy(() -> DaemonMain.parse(new String[] {"--cluster", "127.0.0.1:5801", "--cluster-members",
                "127.0.0.1:5801", "--cluster-token-file", "/tmp/t"})).hasMessageContaining("needs --tcp");
        assertThatThrownBy(() -> DaemonMain.parse(new String[] {"--tcp", "127.0.0.1:0", "--cluster",
                "127.0.0.1:5801", "--cluster-members", "127.0.0.1:5801"})).hasMessageContaining("--cluster-token-file");
        assertThatThrownBy(() -> DaemonMain.parse(new String[] {"--cluster-name", "x"}))
                .hasMessageContaining("need --cluster IP:PORT");
    }
}
