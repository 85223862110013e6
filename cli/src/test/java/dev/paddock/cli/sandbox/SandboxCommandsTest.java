package dev.paddock.cli.sandbox;

import static dev.paddock.cli.FakeDaemon.error;
import static dev.paddock.cli.FakeDaemon.json;
import static dev.paddock.cli.FakeDaemon.ndjson;
import static dev.paddock.cli.FakeDaemon.sandbox;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.FakeDaemon;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sandbox commands against canned API answers: what they send, what they print, how they fail. */
class SandboxCommandsTest {
    @TempDir
    Path state;

    FakeDaemon daemon;

    @BeforeEach
    void start() {
        daemon = FakeDaemon.onSocket(state);
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void lsPrintsATableAndJson() {
        JsonObject a = sandbox("sb-000000000001", "alpha", "ready");
        a.put("workspaces", new JsonArray().add(new JsonObject().put("path", "/src/app").put("mode", "rw"))
                .add(new JsonObject().put("path", "/src/lib").put("mode", "ro")));
        JsonObject b = sandbox("sb-000000000002", "sb-000000000002", "stopped");
        daemon.answer("GET", "/v1/sandboxes", 200, new JsonObject().put("sandboxes", new JsonArray().add(a).add(b)));

        FakeDaemon.Result table = daemon.run("ls");
        assertThat(table.status()).isZero();
        assertThat(table.out().lines()).containsExactly(
                "ID               NAME             STATE    CPUS  MEMORY    WORKSPACES",
                "sb-000000000001  alpha            ready    2     2048 MiB  /src/app,/src/lib:ro",
                "sb-000000000002  sb-000000000002  stopped  2     2048 MiB  -");

        FakeDaemon.Result json = daemon.run("ls", "--json");
        assertThat(new JsonArray(json.out())).containsExactly(a, b);
        assertThat(daemon.run("ls", "-q").out().lines()).containsExactly("sb-000000000001", "sb-000000000002");
    }

    @Test
    void anUnknownSandboxIsExitFourWithTheDaemonsMessage() {
        daemon.answer("POST", "/v1/sandboxes/nope/stop", 404, error("NOT_FOUND", "no sandbox \"nope\"; paddock ls lists them"));
        FakeDaemon.Result r = daemon.run("stop", "nope");
        assertThat(r.status()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(r.err()).isEqualTo("paddock: no sandbox \"nope\"; paddock ls lists them\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void rmGoesOnAfterAFailureAndReportsTheFirst() {
        daemon.route("DELETE", "/v1/sandboxes/a", r -> r.response().setStatusCode(204).end());
        daemon.answer("DELETE", "/v1/sandboxes/b", 409, error("ILLEGAL_STATE", "sandbox b is ready; stop it first or use force"));
        daemon.route("DELETE", "/v1/sandboxes/c", r -> r.response().setStatusCode(204).end());
        FakeDaemon.Result r = daemon.run("rm", "a", "b", "c");
        assertThat(r.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.out().lines()).containsExactly("a", "c");
        assertThat(r.err()).contains("sandbox b is ready");

        daemon.run("rm", "-f", "a");
        assertThat(daemon.calls().get(daemon.calls().size() - 1).uri()).isEqualTo("/v1/sandboxes/a?force=true");
    }

    @Test
    void badFlagsAreUsageErrors() {
        FakeDaemon.Result r = daemon.run("ls", "--bogus");
        assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("Unknown option: '--bogus'");
        assertThat(daemon.run("exec", "sb").status()).isEqualTo(ExitCodes.USAGE);
        FakeDaemon.Result mem = daemon.run("create", "--memory", "lots");
        assertThat(mem.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(mem.err()).contains("--memory \"lots\" is not a size");
        assertThat(daemon.calls()).isEmpty();
    }

    @Test
    void execStreamsOutputAndExitsWithTheCommandsStatus() {
        daemon.route("POST", "/v1/sandboxes/box/exec", r -> {
            r.response().setChunked(true).putHeader("Content-Type", "application/x-ndjson");
            r.response().write(ndjson(new JsonObject().put("type", "started").put("pid", 7)));
            r.response().write(ndjson(new JsonObject().put("type", "stdout").put("data", b64("hel"))));
            r.response().write(Buffer.buffer("{\"type\":\"stdout\",\"data\":\"" + b64("lo\n") + "\"}\n{\"type\":\"std"));
            r.response().write(Buffer.buffer("err\",\"data\":\"" + b64("warn\n") + "\"}\n"));
            r.response().end(ndjson(new JsonObject().put("type", "exit").put("code", 3)));
        });
        FakeDaemon.Result r = daemon.run(Map.of(), "input bytes", "exec", "-i", "-e", "A=1", "-w", "/work", "box", "--",
                "sh", "-c", "make");
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("hello\n");
        assertThat(r.err()).isEqualTo("warn\n");
        JsonObject sent = new JsonObject(daemon.calls().get(0).body());
        assertThat(sent).isEqualTo(new JsonObject().put("argv", new JsonArray().add("sh").add("-c").add("make"))
                .put("env", new JsonObject().put("A", "1")).put("cwd", "/work").put("stdin", b64("input bytes")));
    }

    @Test
    void execThatLosesItsSandboxFails() {
        daemon.route("POST", "/v1/sandboxes/box/exec", r -> r.response().putHeader("Content-Type", "application/x-ndjson")
                .end(ndjson(new JsonObject().put("type", "error").put("code", "INTERNAL").put("error", "sandbox box stopped"))));
        FakeDaemon.Result r = daemon.run("exec", "box", "true");
        assertThat(r.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.err()).contains("the process in box was lost: sandbox box stopped (INTERNAL)");
    }

    @Test
    void execOfAMissingProgramShowsTheAgentsRefusal() {
        daemon.answer("POST", "/v1/sandboxes/box/exec", 422, error("EXEC_FAILED", "no such program \"nope\" in sandbox box"));
        FakeDaemon.Result r = daemon.run("exec", "box", "nope");
        assertThat(r.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.err()).isEqualTo("paddock: no such program \"nope\" in sandbox box\n");
    }

    @Test
    void createSendsTheOptionsAndShowsBootProgress() throws Exception {
        Path ws = Files.createDirectories(state.resolve("work"));
        AtomicInteger gets = new AtomicInteger();
        daemon.route("POST", "/v1/sandboxes", r -> json(r, 201, sandbox("sb-00000000000a", "dev", "booting")));
        daemon.route("GET", "/v1/sandboxes/sb-00000000000a",
                r -> json(r, 200, sandbox("sb-00000000000a", "dev", gets.incrementAndGet() == 1 ? "booting" : "ready")));
        daemon.route("GET", "/v1/events", r -> {
            r.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
            r.response().write(": keepalive\n\n");
            r.response().write("event: progress\ndata: {\"type\":\"progress\",\"step\":\"agent-started\",\"detail\":null}\n\n");
            r.response().write("event: console\ndata: {\"type\":\"console\",\"line\":\"Linux version 6.1\"}\n\n");
            r.response().write("event: state\ndata: {\"type\":\"state\",\"from\":\"booting\",\"to\":\"ready\",\"reason\":null}\n\n");
        });
        FakeDaemon.Result r = daemon.run("create", "-n", "dev", "-w", "work:ro", "--cpus", "4", "--memory", "4G",
                "--disk", "30", "-e", "K=V", "--secret", "gh", "-p", "8080", "-p", "18081:8081", "--console");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("sb-00000000000a\n");
        assertThat(r.err()).contains("created sandbox dev (sb-00000000000a)", "agent-started", "  | Linux version 6.1",
                "booting → ready", "sandbox dev (sb-00000000000a) ready in");
        FakeDaemon.Seen post = daemon.calls().get(0);
        assertThat(post.uri()).isEqualTo("/v1/sandboxes?wait=false");
        assertThat(new JsonObject(post.body())).isEqualTo(new JsonObject().put("name", "dev")
                .put("workspaces", new JsonArray().add(new JsonObject().put("path", ws.toString()).put("mode", "ro")))
                .put("cpus", 4).put("memoryMib", 4096).put("diskGib", 30).put("env", new JsonObject().put("K", "V"))
                .put("secrets", new JsonArray().add("gh"))
                .put("ports", new JsonArray().add(new JsonObject().put("guestPort", 8080))
                        .add(new JsonObject().put("hostPort", 18081).put("guestPort", 8081))));
    }

    @Test
    void aBootFailureNamesTheReasonAndTheLogs() {
        daemon.route("POST", "/v1/sandboxes", r -> json(r, 201, sandbox("sb-00000000000b", "bad", "booting")));
        daemon.route("GET", "/v1/sandboxes/sb-00000000000b", r -> json(r, 200,
                sandbox("sb-00000000000b", "bad", "failed").put("stateReason", "the kernel panicked")));
        daemon.route("GET", "/v1/events", r -> r.response().setChunked(true).write(": keepalive\n\n"));
        FakeDaemon.Result r = daemon.run("create", "-n", "bad");
        assertThat(r.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.err()).contains("sandbox bad (sb-00000000000b) did not boot: it is failed (the kernel panicked);"
                + " its console: paddock logs bad");
    }

    @Test
    void outOfRangeResourcesShowTheDaemonsRange() {
        daemon.answer("POST", "/v1/sandboxes", 400, error("OUT_OF_RANGE", "cpus 64 is out of range 1-32"));
        FakeDaemon.Result r = daemon.run("create", "--cpus", "64");
        assertThat(r.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.err()).isEqualTo("paddock: cpus 64 is out of range 1-32\n");
    }

    @Test
    void logsAndPorts() {
        daemon.route("GET", "/v1/sandboxes/box/logs", r -> r.response().putHeader("Content-Type", "text/plain").end("line 1\nline 2\n"));
        FakeDaemon.Result logs = daemon.run("logs", "--agent", "-n", "2", "box");
        assertThat(logs.out()).isEqualTo("line 1\nline 2\n");
        assertThat(daemon.calls().get(0).uri()).isEqualTo("/v1/sandboxes/box/logs?source=agent&tail=2");

        daemon.answer("GET", "/v1/sandboxes/box/ports", 200, new JsonObject().put("ports", new JsonArray()
                .add(new JsonObject().put("guestPort", 8080).put("hostPort", 18080).put("hostAddress", "127.0.0.1").put("state", "published"))
                .add(new JsonObject().put("guestPort", 22).put("hostPort", 2222).put("hostAddress", "127.0.0.1")
                        .put("state", "not-published").put("reason", "port 2222 is in use"))));
        assertThat(daemon.run("ports", "box").out().lines()).containsExactly(
                "GUEST  HOST             STATE          REASON",
                "8080   127.0.0.1:18080  published",
                "22     127.0.0.1:2222   not-published  port 2222 is in use");
    }

    @Test
    void portsAddPublishesGuestColonHostAndPrintsWhereItListens() {
        daemon.answer("POST", "/v1/sandboxes/box/ports", 201, new JsonObject().put("guestPort", 8080)
                .put("hostPort", 41234).put("hostAddress", "127.0.0.1").put("state", "published"));
        FakeDaemon.Result any = daemon.run("ports", "add", "box", "8080");
        assertThat(any.status()).as(any.err()).isZero();
        assertThat(any.out()).isEqualTo("127.0.0.1:41234\n");
        assertThat(new JsonObject(daemon.calls().get(0).body())).isEqualTo(new JsonObject().put("guestPort", 8080));
        daemon.run("ports", "add", "box", "18080:8080");
        assertThat(new JsonObject(daemon.calls().get(1).body()))
                .isEqualTo(new JsonObject().put("guestPort", 8080).put("hostPort", 18080));

        FakeDaemon.Result bad = daemon.run("ports", "add", "box", "web");
        assertThat(bad.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(bad.err()).contains("\"web\" is not [HOST:]GUEST");
        assertThat(daemon.run("ports", "add", "box", "1:2:3").status()).isEqualTo(ExitCodes.USAGE);
        assertThat(daemon.calls()).hasSize(2);
    }

    @Test
    void portsAddReportsTheDaemonsRefusal() {
        daemon.answer("POST", "/v1/sandboxes/box/ports", 409, error("PORT_TAKEN",
                "cannot publish guest port 8080 of sandbox sb-1 on 127.0.0.1:22: Address already in use"));
        FakeDaemon.Result r = daemon.run("ports", "add", "box", "22:8080");
        assertThat(r.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.err()).contains("on 127.0.0.1:22: Address already in use");
    }

    @Test
    void portsRmUnpublishesByHostPort() {
        daemon.route("DELETE", "/v1/sandboxes/box/ports/41234", r -> r.response().setStatusCode(204).end());
        FakeDaemon.Result r = daemon.run("ports", "rm", "box", "41234");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(daemon.calls().get(0).method()).isEqualTo("DELETE");
        assertThat(daemon.calls().get(0).uri()).isEqualTo("/v1/sandboxes/box/ports/41234");

        daemon.answer("DELETE", "/v1/sandboxes/box/ports/9", 404, error("NOT_FOUND",
                "no port of sandbox sb-1 is published on host port 9; published: none"));
        FakeDaemon.Result missing = daemon.run("ports", "rm", "box", "9");
        assertThat(missing.status()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).contains("host port 9");
        assertThat(daemon.run("ports", "rm", "box", "http").status()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void portsWithoutASandboxIsAUsageError() {
        FakeDaemon.Result r = daemon.run("ports");
        assertThat(r.status()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("Missing required parameter: 'SANDBOX'");
        assertThat(daemon.calls()).isEmpty();
    }

    @Test
    void logsFollowPrintsTheLogThenLiveConsoleLines() {
        daemon.route("GET", "/v1/sandboxes/box/logs", r -> r.response().end("old\n"));
        daemon.route("GET", "/v1/events", r -> {
            r.response().setChunked(true);
            r.response().write("event: console\ndata: {\"type\":\"console\",\"line\":\"new\"}\n\n");
            r.response().end("event: egress\ndata: {\"type\":\"egress\"}\n\n");
        });
        FakeDaemon.Result r = daemon.run("logs", "-f", "box");
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("old\nnew\n");
    }
}
