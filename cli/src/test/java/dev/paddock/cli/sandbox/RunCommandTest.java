package dev.paddock.cli.sandbox;

import static dev.paddock.cli.FakeDaemon.json;
import static dev.paddock.cli.FakeDaemon.sandbox;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.cli.FakeDaemon;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `paddock run`: the sandbox keyed by its workspaces, created once and re-attached, then a terminal session (here
 * forced with --tty, as the test's stdin is no terminal), or with a piped stdin a process without a terminal.
 */
class RunCommandTest {
    @TempDir
    Path state;

    FakeDaemon daemon;
    Path ws;
    String name;
    final AtomicReference<String> ttyQuery = new AtomicReference<>();
    final List<String> typed = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        daemon = FakeDaemon.onSocket(state);
        ws = Files.createDirectories(state.resolve("My Project"));
        name = WorkspaceKey.of(state, List.of(ws.toString())).name();
        // The tty endpoint of every sandbox id used here: prints a prompt, collects input until EOT, exits 7.
        for (String id : List.of("sb-0000000000c1", "sb-0000000000c2")) {
            daemon.webSocket("/v1/sandboxes/" + id + "/tty", s -> {
                ttyQuery.set(s.query());
                s.writeBinaryMessage(Buffer.buffer("$ "));
                s.binaryMessageHandler(b -> {
                    typed.add(b.toString());
                    if (b.toString().contains("\u0004")) {
                        s.writeTextMessage(new JsonObject().put("type", "exit").put("code", 7).encode())
                                .onComplete(v -> s.close());
                    }
                });
            });
        }
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    @Test
    void theFirstRunCreatesTheSandboxOfTheWorkspaceAndOpensAShellInIt() {
        daemon.route("POST", "/v1/sandboxes", r -> json(r, 201, sandbox("sb-0000000000c1", name, "booting")));
        daemon.route("GET", "/v1/sandboxes/sb-0000000000c1", r -> json(r, 200, sandbox("sb-0000000000c1", name, "ready")));
        daemon.route("GET", "/v1/events", r -> r.response().setChunked(true).write(": keepalive\n\n"));

        FakeDaemon.Result r = daemon.run(Map.of("TERM", "xterm"), "echo hi\n", "run", "--tty", "shell", ws.toString(), "--cpus", "1");

        assertThat(r.status()).as(r.err()).isEqualTo(7);
        assertThat(r.out()).isEqualTo("$ ");
        assertThat(String.join("", typed)).isEqualTo("echo hi\n\u0004");
        assertThat(name).matches("my-project-[0-9a-f]{10}");
        JsonObject created = new JsonObject(daemon.calls().stream().filter(c -> c.method().equals("POST")).findFirst()
                .orElseThrow().body());
        assertThat(created.getString("name")).isEqualTo(name);
        assertThat(created.getInteger("cpus")).isEqualTo(1);
        assertThat(created.getJsonArray("workspaces").getJsonObject(0))
                .isEqualTo(new JsonObject().put("path", ws.toString()).put("mode", "rw"));
        assertThat(created.getJsonObject("labels").getString(WorkspaceKey.LABEL_AGENT)).isEqualTo("shell");
        assertThat(ttyQuery.get()).contains("argv=%2Fbin%2Fsh", "cwd=" + java.net.URLEncoder.encode(ws.toString(),
                java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"), "env=TERM%3Dxterm", "rows=24", "cols=80");
        assertThat(r.err()).contains("stdin is not a terminal");
    }

    @Test
    void aSecondRunReattachesWithoutCreating() {
        daemon.route("GET", "/v1/sandboxes/" + name, r -> json(r, 200, sandbox("sb-0000000000c2", name, "ready")));
        FakeDaemon.Result r = daemon.run(Map.of(), "", "run", "-t", "claude", ws.toString());
        assertThat(r.status()).as(r.err()).isEqualTo(7);
        assertThat(r.err()).contains("attaching to sandbox " + name + " (sb-0000000000c2)");
        assertThat(daemon.calls()).noneMatch(c -> c.method().equals("POST"));
        assertThat(ttyQuery.get()).contains("argv=claude");
    }

    @Test
    void aStoppedSandboxIsStartedAgain() {
        daemon.route("GET", "/v1/sandboxes/" + name, r -> json(r, 200, sandbox("sb-0000000000c2", name, "stopped")));
        daemon.route("POST", "/v1/sandboxes/sb-0000000000c2/start", r -> json(r, 200, sandbox("sb-0000000000c2", name, "booting")));
        daemon.route("GET", "/v1/sandboxes/sb-0000000000c2", r -> json(r, 200, sandbox("sb-0000000000c2", name, "ready")));
        daemon.route("GET", "/v1/events", r -> r.response().setChunked(true).write(": keepalive\n\n"));
        FakeDaemon.Result r = daemon.run(Map.of(), "", "run", "--tty", ws.toString());
        assertThat(r.status()).as(r.err()).isEqualTo(7);
        assertThat(r.err()).contains("starting sandbox " + name, "ready in");
    }

    @Test
    void aPipedStdinRunsTheProcessWithoutATerminalAndGivesItStdinWhole() {
        daemon.route("GET", "/v1/sandboxes/" + name, r -> json(r, 200, sandbox("sb-0000000000c2", name, "ready")));
        daemon.route("POST", "/v1/sandboxes/sb-0000000000c2/exec", r -> {
            r.response().setChunked(true).putHeader("Content-Type", "application/x-ndjson");
            r.response().write(FakeDaemon.ndjson(new JsonObject().put("type", "started").put("pid", 7)));
            r.response().write(FakeDaemon.ndjson(new JsonObject().put("type", "stdout").put("data", b64("Linux\n"))));
            r.response().write(FakeDaemon.ndjson(new JsonObject().put("type", "stderr").put("data", b64("warn\n"))));
            r.response().end(FakeDaemon.ndjson(new JsonObject().put("type", "exit").put("code", 5)));
        });

        FakeDaemon.Result r = daemon.run(Map.of("TERM", "xterm"), "uname -a; echo done\n", "run", "shell", ws.toString());

        assertThat(r.status()).as(r.err()).isEqualTo(5);
        assertThat(r.out()).isEqualTo("Linux\n");
        assertThat(r.err()).endsWith("warn\n").doesNotContain("not a terminal");
        assertThat(ttyQuery.get()).as("no terminal session").isNull();
        JsonObject sent = new JsonObject(daemon.calls().stream().filter(c -> c.method().equals("POST")).findFirst()
                .orElseThrow().body());
        assertThat(sent).isEqualTo(new JsonObject()
                .put("argv", new io.vertx.core.json.JsonArray(WorkspaceKey.LOGIN_SHELL))
                .put("cwd", ws.toString()).put("stdin", b64("uname -a; echo done\n")));
    }

    private static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void theKeyIsTheAbsoluteWorkspacePathsAndTheirModes() throws Exception {
        Path other = Files.createDirectories(state.resolve("other"));
        WorkspaceKey relative = WorkspaceKey.of(state, List.of("My Project"));
        assertThat(relative.name()).isEqualTo(name);
        assertThat(WorkspaceKey.of(state, List.of("My Project/../My Project/")).name()).isEqualTo(name);
        assertThat(WorkspaceKey.of(state, List.of("My Project:ro")).name()).isNotEqualTo(name);
        assertThat(WorkspaceKey.of(state, List.of("My Project", other.toString())).name()).isNotEqualTo(name)
                .startsWith("my-project-");
        assertThat(WorkspaceKey.of(Path.of("/"), List.of("/")).name()).matches("root-[0-9a-f]{10}");
    }

    @Test
    void aWorkspaceThatIsNoDirectoryIsAUsageError() {
        FakeDaemon.Result r = daemon.run("run", "shell", state.resolve("missing").toString());
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("is not a directory");
    }
}
