package dev.paddock.cli.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.FakeDaemon;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the CLI looks for the daemon, and the TCP + token path the emulated accelerator will use. */
class DaemonEndpointTest {
    @TempDir
    Path dir;

    @Test
    void theDefaultIsTheSocketInTheStateDirectory() {
        assertThat(DaemonEndpoint.fromEnvironment(Map.of("PADDOCK_STATE", "/var/paddock")))
                .isEqualTo(new DaemonEndpoint.Unix(Path.of("/var/paddock/daemon.sock")));
        assertThat(DaemonEndpoint.fromEnvironment(Map.of()))
                .isEqualTo(new DaemonEndpoint.Unix(Path.of(System.getProperty("user.home"), ".paddock", "daemon.sock")));
        assertThat(DaemonEndpoint.fromEnvironment(Map.of("PADDOCK_DAEMON", "unix:///run/p.sock")))
                .isEqualTo(new DaemonEndpoint.Unix(Path.of("/run/p.sock")));
    }

    @Test
    void tcpNeedsAToken() throws Exception {
        assertThat(DaemonEndpoint.fromEnvironment(Map.of("PADDOCK_DAEMON", "tcp://127.0.0.1:7717", "PADDOCK_TOKEN", "t0k")))
                .isEqualTo(new DaemonEndpoint.Tcp("127.0.0.1", 7717, "t0k"));
        Path token = Files.writeString(dir.resolve("daemon.token"), "from-file\n");
        assertThat(DaemonEndpoint.fromEnvironment(Map.of("PADDOCK_DAEMON", "tcp://localhost:1", "PADDOCK_TOKEN_FILE", token.toString())))
                .isEqualTo(new DaemonEndpoint.Tcp("localhost", 1, "from-file"));
        assertThat(new DaemonEndpoint.Tcp("h", 1, "secret").toString()).doesNotContain("secret");
        assertThatThrownBy(() -> DaemonEndpoint.fromEnvironment(Map.of("PADDOCK_DAEMON", "tcp://127.0.0.1:7717")))
                .hasMessageContaining("needs the daemon's token").extracting(e -> ((dev.paddock.cli.CliException) e).exitCode())
                .isEqualTo(ExitCodes.USAGE);
        assertThatThrownBy(() -> DaemonEndpoint.fromEnvironment(Map.of("PADDOCK_DAEMON", "http://x:1")))
                .hasMessageContaining("has scheme \"http\"");
        assertThatThrownBy(() -> DaemonEndpoint.fromEnvironment(Map.of("PADDOCK_DAEMON", "tcp://x", "PADDOCK_TOKEN", "t")))
                .hasMessageContaining("needs a host and a port");
    }

    @Test
    void overTcpEveryRequestCarriesTheBearerToken() {
        try (FakeDaemon daemon = FakeDaemon.onTcp(dir)) {
            daemon.answer("GET", "/v1/sandboxes", 200, new io.vertx.core.json.JsonObject().put("sandboxes", new io.vertx.core.json.JsonArray()));
            FakeDaemon.Result r = daemon.run(Map.of("PADDOCK_DAEMON", "tcp://127.0.0.1:" + daemon.port(), "PADDOCK_TOKEN", "t0k"),
                    "", "ls");
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(daemon.seen).isNotEmpty().allSatisfy(s -> assertThat(s.headers()).containsEntry("authorization", "Bearer t0k"));
        }
    }

    @Test
    void aTcpDaemonThatDoesNotAnswerIsNotStarted() {
        FakeDaemon.Result r;
        try (FakeDaemon daemon = FakeDaemon.onSocket(dir)) {
            r = daemon.run(Map.of("PADDOCK_DAEMON", "tcp://127.0.0.1:1", "PADDOCK_TOKEN", "t", "PADDOCK_AUTOSTART", "1"), "", "ls");
        }
        assertThat(r.status()).isEqualTo(ExitCodes.DAEMON_UNREACHABLE);
        assertThat(r.err()).contains("no daemon answers on tcp://127.0.0.1:1 (PADDOCK_DAEMON)");
        assertThat(Files.exists(dir.resolve("daemon.log"))).isFalse();
    }
}
