package dev.paddock.cli.rig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Java side of the rig-agent protocol against the real C agent, compiled here with gcc and run on loopback. */
class RigAgentClientTest {
    private static final Path AGENT = Path.of("target", "rig-agent-for-tests", "rig-agent").toAbsolutePath();
    private Process server;
    private int port;

    @BeforeAll
    static void compileAgent() throws Exception {
        Files.createDirectories(AGENT.getParent());
        Process gcc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", AGENT.toString(),
                Path.of("..", "guest", "helper-vm", "rig-agent.c").toString()).inheritIO().start();
        assertThat(gcc.waitFor()).as("gcc rig-agent.c").isZero();
    }

    @BeforeEach
    void startAgent() throws Exception {
        Path token = Files.createTempFile("rig-token", "");
        Files.writeString(token, "the-token\n");
        port = FreePort.pick();
        server = new ProcessBuilder(AGENT.toString(), "serve", "--listen", "127.0.0.1", "--port", Integer.toString(port),
                "--token-file", token.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        RigAgentClient c = new RigAgentClient(port, "the-token");
        for (int i = 0; i < 100 && !c.ping(Duration.ofSeconds(1)); i++) Thread.sleep(20);
    }

    @AfterEach
    void stopAgent() {
        server.destroyForcibly();
    }

    @Test
    void pingsWithTheRightToken() {
        assertThat(new RigAgentClient(port, "the-token").ping(Duration.ofSeconds(2))).isTrue();
    }

    @Test
    void aWrongTokenGetsNoAnswer() {
        assertThat(new RigAgentClient(port, "not-the-token").ping(Duration.ofSeconds(2))).isFalse();
    }

    @Test
    void shutdownEndsTheAgent() throws Exception {
        new RigAgentClient(port, "the-token").shutdown(Duration.ofSeconds(2));
        assertThat(server.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(server.exitValue()).isZero();
    }

    @Test
    void aWrongTokenCannotShutItDown() {
        assertThatThrownBy(() -> new RigAgentClient(port, "not-the-token").shutdown(Duration.ofSeconds(2)))
                .isInstanceOf(IOException.class).hasMessageContaining("authentication failed");
        assertThat(server.isAlive()).isTrue();
    }

    @Test
    void nobodyListeningMeansNoAnswer() {
        assertThat(new RigAgentClient(FreePort.pick(), "the-token").ping(Duration.ofMillis(500))).isFalse();
    }
}
