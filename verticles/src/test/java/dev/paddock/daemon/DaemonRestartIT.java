package dev.paddock.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.api.ApiClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The daemon in a JVM of its own (DaemonMain, as the CLI starts it) on a temporary state directory: sandboxes are
 * created and started, the daemon is killed with SIGKILL, and a new daemon finds every sandbox again as stopped,
 * with its directory intact; one starts again and exec works. The old agent processes are gone. A SIGTERM then
 * stops the daemon cleanly: socket and pid file removed.
 */
class DaemonRestartIT {
    private final List<Process> daemons = new ArrayList<>();
    private Vertx vertx;
    private Path state;

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : daemons) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        // A daemon killed here (a failed test) leaves its loopback agents running: end them by their pid files.
        if (state != null && Files.isDirectory(state.resolve("sandboxes"))) {
            try (var dirs = Files.newDirectoryStream(state.resolve("sandboxes"))) {
                for (Path dir : dirs) {
                    Path pid = dir.resolve("agent.pid");
                    if (Files.exists(pid)) {
                        ProcessHandle.of(Long.parseLong(Files.readString(pid).trim()))
                                .filter(h -> h.info().command().orElse("").endsWith("paddock-agent"))
                                .ifPresent(ProcessHandle::destroyForcibly);
                    }
                }
            }
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private Process startDaemon(Path state, Path agent, Path log) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), DaemonMain.class.getName(),
                "--state", state.toString(), "--agent", agent.toString(), "--driver", "loopback")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        daemons.add(p);
        long deadline = System.currentTimeMillis() + 60_000;
        // A daemon killed with -9 leaves its pid file: wait for this one's pid, written once it listens.
        while (!Files.exists(state.resolve("daemon.pid"))
                || !Files.readString(state.resolve("daemon.pid")).trim().equals(Long.toString(p.pid()))) {
            assertThat(p.isAlive()).as("daemon alive; its output:\n" + read(log)).isTrue();
            assertThat(System.currentTimeMillis()).as("daemon up within 60 s; output:\n" + read(log)).isLessThan(deadline);
            Thread.sleep(50);
        }
        return p;
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    @Test
    void killMinus9ThenRestartFindsEverySandboxStopped() throws Exception {
        Path agent = AgentBuild.binary();
        state = AgentBuild.shortTempDir("pd-rs");
        Path log = state.resolve("daemon-output.log");
        vertx = Vertx.vertx();
        ApiClient api = new ApiClient(vertx, SocketAddress.domainSocketAddress(state.resolve("daemon.sock").toString()),
                null);

        Process first = startDaemon(state, agent, log);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ApiClient.Response r = api.post("/v1/sandboxes", new JsonObject().put("name", "keep-" + i)
                    .put("start", i < 2).put("policy", new JsonObject().put("default", "deny")));
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            ids.add(r.json().getString("id"));
        }
        JsonObject ready = api.get("/v1/sandboxes/keep-0").json();
        assertThat(ready.getString("state")).isEqualTo("ready");
        Path work = Path.of(ready.getString("dir")).resolve("work");
        ApiClient.Response write = api.exec("keep-0", "sh", "-c", "echo kept > " + work + "/marker");
        assertThat(write.last().getInteger("code")).isEqualTo(0);
        List<Long> agentPids = new ArrayList<>();
        for (String id : ids.subList(0, 2)) {
            agentPids.add(Long.parseLong(Files.readString(state.resolve("sandboxes/" + id + "/agent.pid")).trim()));
        }

        first.destroyForcibly(); // SIGKILL: no shutdown hook, nothing cleaned up
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).isEqualTo(137);
        assertThat(state.resolve("daemon.sock")).exists();

        Process second = startDaemon(state, agent, log);
        JsonArray all = api.get("/v1/sandboxes").json().getJsonArray("sandboxes");
        assertThat(all.stream().map(o -> ((JsonObject) o).getString("id")).toList()).containsExactlyElementsOf(ids);
        for (Object o : all) {
            JsonObject sb = (JsonObject) o;
            assertThat(sb.getString("state")).as(sb.encode()).isEqualTo("stopped");
        }
        assertThat(api.get("/v1/sandboxes/keep-0").json().getString("stateReason")).contains("daemon restarted");
        for (long pid : agentPids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                    .as("agent pid " + pid + " of the killed daemon").isFalse();
        }
        assertThat(api.get("/v1/sandboxes/keep-1/policy").json().getJsonObject("document"))
                .isEqualTo(new JsonObject().put("default", "deny"));

        assertThat(api.post("/v1/sandboxes/keep-0/start", null).json().getString("state")).isEqualTo("ready");
        ApiClient.Response cat = api.exec("keep-0", "cat", work + "/marker");
        assertThat(cat.output("stdout")).isEqualTo("kept\n");
        assertThat(api.post("/v1/sandboxes/keep-2/start", null).json().getString("state")).isEqualTo("ready");

        second.destroy(); // SIGTERM: the clean path
        assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("clean stop; output:\n" + read(log)).isTrue();
        assertThat(state.resolve("daemon.sock")).doesNotExist();
        assertThat(state.resolve("daemon.pid")).doesNotExist();
        String record = Files.readString(state.resolve("sandboxes/" + ids.get(0) + "/sandbox.json"));
        assertThat(new JsonObject(record).getString("state")).isEqualTo("STOPPED");
    }
}
