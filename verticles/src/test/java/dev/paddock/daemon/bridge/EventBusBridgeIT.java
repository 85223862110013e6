package dev.paddock.daemon.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.AgentBuild;
import dev.paddock.daemon.Daemon;
import dev.paddock.daemon.DaemonConfig;
import dev.paddock.daemon.metrics.DaemonMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The TCP event-bus bridge from a separate non-JVM process: {@code bridge/bridge_client.py} (python3, standard
 * library) speaks the bridge's length-prefixed JSON frames to a daemon on the loopback driver: refused without the
 * token and on an internal address, then creates a sandbox, subscribes to its events, runs an exec, stops it and
 * sees the state event, lists and removes it.
 */
class EventBusBridgeIT {
    private static Vertx vertx;
    private static Daemon daemon;
    private static Path state;

    @BeforeAll
    static void setUp() throws Exception {
        Path agent = AgentBuild.binary();
        state = AgentBuild.shortTempDir("pd-bridge");
        DaemonMetrics metrics = new DaemonMetrics();
        vertx = Daemon.newVertx(new VertxOptions(), metrics);
        daemon = Daemon.start(vertx, DaemonConfig.unixOnly(state, agent).withBridge("127.0.0.1", freePort()), metrics)
                .await(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (daemon != null) {
            daemon.stop().await(60, TimeUnit.SECONDS);
            assertThat(state.resolve("daemon.bridge")).doesNotExist();
        }
        if (vertx != null) {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aPythonServiceCreatesSubscribesAndExecs() throws Exception {
        assertThat(state.resolve("daemon.bridge")).hasContent("127.0.0.1:" + daemon.bridgePort() + "\n");
        Path script = Files.createTempFile("bridge_client", ".py");
        try (var in = EventBusBridgeIT.class.getResourceAsStream("/bridge/bridge_client.py")) {
            Files.write(script, in.readAllBytes());
        }
        Process p = new ProcessBuilder("python3", script.toString(), "127.0.0.1", String.valueOf(daemon.bridgePort()),
                daemon.token()).redirectErrorStream(true).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, JsonObject> steps = new LinkedHashMap<>();
        List<String> order = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.startsWith("{")) {
                JsonObject j = new JsonObject(line);
                steps.put(j.getString("step"), j);
                order.add(j.getString("step"));
            }
        }
        assertThat(order).as(out).containsExactly("no-token", "internal-address", "created", "exec", "event", "listed",
                "removed");
        assertThat(steps.get("no-token").getJsonObject("frame").getString("type")).isEqualTo("err");
        assertThat(steps.get("no-token").getJsonObject("frame").getString("message")).isEqualTo("blocked by bridgeEvent handler");
        assertThat(steps.get("internal-address").getJsonObject("frame").getString("message")).isEqualTo("access_denied");
        String id = steps.get("created").getString("id");
        assertThat(steps.get("created").getString("state")).isEqualTo("ready");
        JsonObject exec = steps.get("exec");
        assertThat(exec.getInteger("code")).isEqualTo(3);
        assertThat(exec.getString("stdout")).isEqualTo("out:from-python\n");
        assertThat(exec.getString("stderr")).isEqualTo("err\n");
        assertThat(steps.get("event").getString("sandbox")).isEqualTo(id);
        assertThat(steps.get("event").getString("to")).isEqualTo("stopped");
        assertThat(steps.get("listed").getJsonArray("ids").getList()).contains(id);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
