package dev.paddock.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.AgentBuild;
import dev.paddock.daemon.BlockedThreadWatch;
import dev.paddock.daemon.Daemon;
import dev.paddock.daemon.DaemonConfig;
import dev.paddock.netpolicy.audit.EventBusAuditSink;
import dev.paddock.daemon.metrics.DaemonMetrics;
import dev.paddock.netpolicy.audit.AuditEvent;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every endpoint of openapi.yaml against a real daemon on the loopback driver (the real guest agent as a host
 * process), over the unix socket and over TCP with the token, including bad input. Vert.x's blocked-thread checker
 * runs at 100 ms (with stack traces); any warning after the warm-up fails the suite in {@link #tearDown()}.
 */
@ExtendWith(VertxExtension.class)
class DaemonApiIT {
    private static final BlockedThreadWatch WATCH = BlockedThreadWatch.install();
    private static Vertx vertx;
    private static Daemon daemon;
    private static ApiClient api;
    private static DaemonMetrics metrics;
    private static Path state;
    private static Path workspace;

    @BeforeAll
    static void setUp() throws Exception {
        Path agent = AgentBuild.binary();
        state = AgentBuild.shortTempDir("pd-api");
        workspace = Files.createDirectories(state.resolve("ws"));
        metrics = new DaemonMetrics();
        vertx = Daemon.newVertx(new VertxOptions()
                .setMaxEventLoopExecuteTime(100).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
                .setBlockedThreadCheckInterval(50).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
                .setWarningExceptionTime(100).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS), metrics);
        daemon = Daemon.start(vertx, new DaemonConfig(state, "127.0.0.1", 0, agent, Duration.ofSeconds(20)), metrics)
                .await(60, TimeUnit.SECONDS);
        api = new ApiClient(vertx, SocketAddress.domainSocketAddress(state.resolve("daemon.sock").toString()), null);
        // Warm-up: the first create, exec and scrape load hundreds of classes (Jackson, Netty's allocator, JFR
        // events) on the event loops, which on a loaded 2-core host takes longer than 100 ms once. The checker
        // counts from here on: everything the tests do runs under it.
        String id = create(new JsonObject()).getString("id");
        api.exec(id, "true");
        api.get("/metrics");
        api.delete("/v1/sandboxes/" + id + "?force=true");
        WATCH.clear();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (daemon != null) {
            daemon.stop().await(60, TimeUnit.SECONDS);
            assertThat(state.resolve("daemon.sock")).doesNotExist();
            assertThat(state.resolve("daemon.pid")).doesNotExist();
        }
        if (vertx != null) {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
        WATCH.close();
        if (!WATCH.warnings().isEmpty()) {
            System.err.println(WATCH.warnings().size() + " blocked-thread warnings without a blocking frame (scheduling"
                    + " delays on a loaded host, load " + java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean().getSystemLoadAverage() + "); the first: " + WATCH.warnings().get(0));
        }
        assertThat(WATCH.blocking()).as("an event loop blocked (> 100 ms in a blocking call, or > 1 s)").isEmpty();
    }

    private static JsonObject create(JsonObject body) {
        ApiClient.Response r = api.post("/v1/sandboxes", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }

    private static void assertError(ApiClient.Response r, int status, String code) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.json().getString("code")).as(r.toString()).isEqualTo(code);
        assertThat(r.json().getString("error")).isNotBlank();
    }

    // ---- daemon

    @Test
    void infoAndOpenApiAreServed() {
        JsonObject info = api.get("/v1/info").json();
        assertThat(info.getString("apiVersion")).isEqualTo("1");
        assertThat(info.getString("driver")).isEqualTo("loopback");
        assertThat(info.getLong("pid")).isEqualTo(ProcessHandle.current().pid());
        ApiClient.Response yaml = api.get("/v1/openapi.yaml");
        assertThat(yaml.status()).isEqualTo(200);
        assertThat(yaml.headers().get("Content-Type")).startsWith("application/yaml");
        assertThat(yaml.text()).startsWith("openapi: 3.1.0");
        assertThat(state.resolve("daemon.pid")).hasContent(ProcessHandle.current().pid() + "\n");
    }

    /** Every path and method in openapi.yaml has a route: none answers "no endpoint". */
    @Test
    void everyOperationOfTheContractIsRouted() throws Exception {
        String id = create(new JsonObject().put("start", false)).getString("id");
        String yaml = api.get("/v1/openapi.yaml").text();
        Map<String, List<String>> ops = operations(yaml);
        assertThat(ops).hasSizeGreaterThanOrEqualTo(16);
        for (var e : ops.entrySet()) {
            String uri = e.getKey().replace("{sandbox}", id).replace("{name}", "nosuchsecret");
            for (String method : e.getValue()) {
                if (uri.endsWith("/tty") || uri.equals("/v1/events")) {
                    continue; // a WebSocket and a stream: their own tests below
                }
                // Bodies are a JSON array: routed but refused, so nothing (the global policy) changes.
                ApiClient.Response r = api.call(HttpMethod.valueOf(method.toUpperCase()), uri,
                        method.equals("get") || method.equals("delete") ? null : "[]");
                assertThat(r.text()).as(method + " " + uri).doesNotContain("no endpoint");
            }
        }
    }

    static Map<String, List<String>> operations(String yaml) {
        Map<String, List<String>> ops = new LinkedHashMap<>();
        Matcher paths = Pattern.compile("(?m)^  (/[^:]*):$").matcher(yaml);
        List<int[]> spans = new ArrayList<>();
        List<String> names = new ArrayList<>();
        while (paths.find()) {
            spans.add(new int[] {paths.end()});
            names.add(paths.group(1));
        }
        int componentsAt = yaml.indexOf("\ncomponents:");
        for (int i = 0; i < names.size(); i++) {
            int end = i + 1 < spans.size() ? yaml.lastIndexOf('\n', spans.get(i + 1)[0] - names.get(i + 1).length() - 4)
                    : componentsAt;
            String block = yaml.substring(spans.get(i)[0], end);
            Matcher m = Pattern.compile("(?m)^    (get|put|post|delete):").matcher(block);
            List<String> methods = new ArrayList<>();
            while (m.find()) {
                methods.add(m.group(1));
            }
            ops.put(names.get(i), methods);
        }
        return ops;
    }

    // ---- sandboxes

    @Test
    void lifecycleOverTheApi() throws Exception {
        JsonObject sb = create(new JsonObject().put("name", "life").put("cpus", 1).put("memoryMib", 512)
                .put("diskGib", 2).put("env", new JsonObject().put("GREETING", "hello"))
                .put("workspaces", new JsonArray().add(new JsonObject().put("path", workspace.toString()).put("mode", "ro")))
                .put("labels", new JsonObject().put("agent", "shell")));
        String id = sb.getString("id");
        assertThat(id).matches("sb-[0-9a-f]{12}");
        assertThat(sb.getString("state")).isEqualTo("ready");
        assertThat(sb.getInteger("cpus")).isEqualTo(1);
        assertThat(sb.getLong("lastBootMillis")).isNotNull();
        assertThat(sb.getJsonArray("workspaces").getJsonObject(0).getString("mode")).isEqualTo("ro");
        assertThat(Path.of(sb.getString("dir")).resolve("sandbox.json")).exists();

        assertThat(api.get("/v1/sandboxes/life").json().getString("id")).isEqualTo(id);
        assertThat(api.get("/v1/sandboxes/" + id).json().getString("name")).isEqualTo("life");
        assertThat(api.get("/v1/sandboxes").json().getJsonArray("sandboxes").stream()
                .map(o -> ((JsonObject) o).getString("id"))).contains(id);

        ApiClient.Response exec = api.exec("life", "sh", "-c", "echo $GREETING; echo oops >&2; exit 3");
        assertThat(exec.status()).isEqualTo(200);
        assertThat(exec.headers().get("Content-Type")).isEqualTo("application/x-ndjson");
        assertThat(exec.chunks().get(0).getString("type")).isEqualTo("started");
        assertThat(exec.output("stdout")).isEqualTo("hello\n");
        assertThat(exec.output("stderr")).isEqualTo("oops\n");
        assertThat(exec.last()).isEqualTo(new JsonObject().put("type", "exit").put("code", 3));

        assertThat(api.post("/v1/sandboxes/life/start", null).json().getString("state")).isEqualTo("ready");
        ApiClient.Response stop = api.post("/v1/sandboxes/life/stop", null);
        assertThat(stop.json().getString("state")).as(stop.toString()).isEqualTo("stopped");
        assertThat(api.post("/v1/sandboxes/life/stop", null).json().getString("state")).isEqualTo("stopped");
        assertError(api.exec("life", "true"), 409, "ILLEGAL_STATE");

        assertThat(api.post("/v1/sandboxes/life/start", null).json().getString("state")).isEqualTo("ready");
        assertThat(api.exec("life", "true").last().getInteger("code")).isEqualTo(0);
        assertError(api.delete("/v1/sandboxes/life"), 409, "ILLEGAL_STATE");
        assertThat(api.delete("/v1/sandboxes/life?force=true").status()).isEqualTo(204);
        assertError(api.get("/v1/sandboxes/" + id), 404, "NOT_FOUND");
        assertThat(Path.of(sb.getString("dir"))).doesNotExist();
    }

    @Test
    void createWithoutWaitingAndWithoutStarting() throws Exception {
        JsonObject stopped = create(new JsonObject().put("start", false));
        assertThat(stopped.getString("state")).isEqualTo("stopped");
        assertThat(stopped.getString("name")).isEqualTo(stopped.getString("id"));

        ApiClient.Response booting = api.post("/v1/sandboxes?wait=false", new JsonObject());
        assertThat(booting.status()).isEqualTo(201);
        assertThat(booting.json().getString("state")).isIn("booting", "ready");
        assertThat(booting.headers().get("Location")).isEqualTo("/v1/sandboxes/" + booting.json().getString("id"));
        String id = booting.json().getString("id");
        long deadline = System.currentTimeMillis() + 20_000;
        while (!api.get("/v1/sandboxes/" + id).json().getString("state").equals("ready")) {
            assertThat(System.currentTimeMillis()).as("sandbox ready within 20 s").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(api.post("/v1/sandboxes/" + id + "/stop?wait=false", null).json().getString("state"))
                .isIn("stopping", "stopped");
        assertThat(api.delete("/v1/sandboxes/" + id + "?force=true").status()).isEqualTo(204);
        assertThat(api.delete("/v1/sandboxes/" + stopped.getString("id")).status()).isEqualTo(204);
    }

    @Test
    void execStreamsStdinEnvCwdAndLargeOutput() throws Exception {
        String id = create(new JsonObject().put("env", new JsonObject().put("A", "sandbox").put("B", "sandbox")))
                .getString("id");
        ApiClient.Response cat = api.post("/v1/sandboxes/" + id + "/exec", new JsonObject()
                .put("argv", new JsonArray().add("cat"))
                .put("stdin", Base64.getEncoder().encodeToString("from stdin\n".getBytes())));
        assertThat(cat.output("stdout")).isEqualTo("from stdin\n");
        ApiClient.Response env = api.post("/v1/sandboxes/" + id + "/exec", new JsonObject()
                .put("argv", new JsonArray().add("sh").add("-c").add("echo $A $B; pwd"))
                .put("env", new JsonObject().put("B", "exec")).put("cwd", workspace.toString()));
        assertThat(env.output("stdout")).isEqualTo("sandbox exec\n" + workspace + "\n");
        ApiClient.Response big = api.exec(id, "head", "-c", "3000000", "/dev/zero");
        assertThat(Base64.getDecoder().decode(Base64.getEncoder().encodeToString(big.output("stdout").getBytes())))
                .hasSize(3_000_000);
        assertThat(big.last().getInteger("code")).isEqualTo(0);
        ApiClient.Response killed = api.exec(id, "sh", "-c", "kill -9 $$");
        assertThat(killed.last()).isEqualTo(new JsonObject().put("type", "exit").put("code", 137).put("signal", 9));
        assertError(api.exec(id, "/no/such/program"), 422, "EXEC_FAILED");
        api.delete("/v1/sandboxes/" + id + "?force=true");
    }

    @Test
    void logsPortsAndTheAgentLog() throws Exception {
        String id = create(new JsonObject().put("ports", new JsonArray()
                .add(new JsonObject().put("guestPort", 8080))
                .add(new JsonObject().put("guestPort", 8081).put("hostAddress", "0.0.0.0")))).getString("id");
        api.exec(id, "true");
        ApiClient.Response ports = api.get("/v1/sandboxes/" + id + "/ports");
        JsonObject p = ports.json().getJsonArray("ports").getJsonObject(0);
        assertThat(p.getInteger("guestPort")).isEqualTo(8080);
        assertThat(p.getInteger("hostPort")).as("a free port was picked").isPositive();
        assertThat(p.getString("hostAddress")).isEqualTo("127.0.0.1");
        assertThat(p.getString("state")).isEqualTo("published");
        JsonObject other = ports.json().getJsonArray("ports").getJsonObject(1);
        assertThat(other.getString("state")).isEqualTo("not-published");
        assertThat(other.getString("reason")).contains("host address 0.0.0.0 is not offered");

        ApiClient.Response console = api.get("/v1/sandboxes/" + id + "/logs");
        assertThat(console.status()).isEqualTo(200);
        assertThat(console.headers().get("Content-Type")).startsWith("text/plain");
        // The logs are written asynchronously (AsyncFile) after the event: the exec's exit line may trail its response.
        String agentLog = api.get("/v1/sandboxes/" + id + "/logs?source=agent").text();
        long deadline = System.currentTimeMillis() + 5000;
        while (!agentLog.contains("exit 0") && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
            agentLog = api.get("/v1/sandboxes/" + id + "/logs?source=agent").text();
        }
        assertThat(agentLog).contains("state creating", "booting -> ready", "boot agent-connected", "exec pid",
                "exit 0");
        String tail = api.get("/v1/sandboxes/" + id + "/logs?source=agent&tail=1").text();
        assertThat(tail.split("\n")).hasSize(1);
        assertError(api.get("/v1/sandboxes/" + id + "/logs?source=kernel"), 400, "INVALID_ARGUMENT");
        assertError(api.get("/v1/sandboxes/" + id + "/logs?tail=-1"), 400, "OUT_OF_RANGE");
        api.delete("/v1/sandboxes/" + id + "?force=true");
    }

    // ---- bad input

    @Test
    void unknownSandboxIs404Everywhere() {
        for (String uri : List.of("/v1/sandboxes/nope", "/v1/sandboxes/nope/logs", "/v1/sandboxes/nope/ports",
                "/v1/sandboxes/nope/policy", "/v1/events?sandbox=nope")) {
            assertError(api.get(uri), 404, "NOT_FOUND");
        }
        assertError(api.post("/v1/sandboxes/nope/start", null), 404, "NOT_FOUND");
        assertError(api.post("/v1/sandboxes/nope/stop", null), 404, "NOT_FOUND");
        assertError(api.delete("/v1/sandboxes/nope"), 404, "NOT_FOUND");
        assertError(api.exec("nope", "true"), 404, "NOT_FOUND");
        assertError(api.put("/v1/sandboxes/nope/policy", new JsonObject()), 404, "NOT_FOUND");
        assertError(api.get("/v1/nothing/here"), 404, "NOT_FOUND");
        assertThat(api.get("/v1/sandboxes/nope").json().getString("error")).contains("\"nope\"", "GET /v1/sandboxes");
    }

    @Test
    void invalidJsonIs400WithAMessage() {
        for (String uri : List.of("/v1/sandboxes", "/v1/sandboxes/x/exec", "/v1/policy")) {
            ApiClient.Response r = api.call(uri.equals("/v1/policy") ? HttpMethod.PUT : HttpMethod.POST, uri,
                    "{\"cpus\": ");
            assertError(r, 400, "INVALID_JSON");
            assertThat(r.json().getString("error")).contains("not valid JSON");
        }
        assertError(api.post("/v1/sandboxes", "[1, 2]"), 400, "INVALID_JSON");
        assertError(api.put("/v1/secrets/x", "nope"), 400, "INVALID_JSON");
    }

    @Test
    void outOfRangeResourcesAreRefusedNamingFieldAndRange() {
        Object[][] cases = {
                {"cpus", 0, "1..32"}, {"cpus", 33, "1..32"}, {"memoryMib", 128, "256..65536 MiB"},
                {"memoryMib", 1 << 20, "256..65536 MiB"}, {"diskGib", 0, "1..1024 GiB"}, {"diskGib", 4096, "1..1024 GiB"}};
        for (Object[] c : cases) {
            ApiClient.Response r = api.post("/v1/sandboxes", new JsonObject().put((String) c[0], c[1]));
            assertError(r, 400, "OUT_OF_RANGE");
            assertThat(r.json().getString("field")).isEqualTo(c[0]);
            assertThat(r.json().getString("error")).contains((String) c[0], String.valueOf(c[1]), (String) c[2]);
        }
        ApiClient.Response port = api.post("/v1/sandboxes", new JsonObject().put("ports",
                new JsonArray().add(new JsonObject().put("guestPort", 70000))));
        assertError(port, 400, "OUT_OF_RANGE");
        assertThat(port.json().getString("field")).isEqualTo("ports[0].guestPort");
    }

    @Test
    void otherBadCreateInput() {
        assertError(api.post("/v1/sandboxes", new JsonObject().put("cpus", "two")), 400, "INVALID_ARGUMENT");
        assertError(api.post("/v1/sandboxes", new JsonObject().put("colour", "red")), 400, "INVALID_ARGUMENT");
        assertError(api.post("/v1/sandboxes", new JsonObject().put("name", "Bad Name")), 400, "INVALID_ARGUMENT");
        ApiClient.Response ws = api.post("/v1/sandboxes", new JsonObject().put("workspaces", new JsonArray()
                .add(new JsonObject().put("path", "/no/such/dir"))));
        assertError(ws, 400, "INVALID_ARGUMENT");
        assertThat(ws.json().getString("field")).isEqualTo("workspaces[0].path");
        assertError(api.post("/v1/sandboxes", new JsonObject().put("workspaces", new JsonArray()
                .add(new JsonObject().put("path", "relative")))), 400, "INVALID_ARGUMENT");
        assertError(api.post("/v1/sandboxes", new JsonObject().put("env", new JsonObject().put("1X", "y"))), 400,
                "INVALID_ARGUMENT");
        ApiClient.Response secret = api.post("/v1/sandboxes", new JsonObject().put("secrets", new JsonArray().add("unset")));
        assertError(secret, 400, "UNKNOWN_SECRET");
        assertThat(secret.json().getString("field")).isEqualTo("secrets[0]");
        ApiClient.Response policy = api.post("/v1/sandboxes", new JsonObject().put("policy", new JsonObject()
                .put("rules", new JsonArray().add(new JsonObject().put("action", "maybe")))));
        assertError(policy, 400, "POLICY_INVALID");
        assertThat(policy.json().getJsonArray("details")).isNotEmpty();
        assertError(api.post("/v1/sandboxes?wait=perhaps", new JsonObject()), 400, "INVALID_ARGUMENT");

        create(new JsonObject().put("name", "taken").put("start", false));
        assertError(api.post("/v1/sandboxes", new JsonObject().put("name", "taken")), 409, "NAME_TAKEN");
        api.delete("/v1/sandboxes/taken");
        assertError(api.post("/v1/sandboxes/x/exec", new JsonObject().put("argv", new JsonArray())), 400,
                "INVALID_ARGUMENT");
        assertError(api.post("/v1/sandboxes/x/stop?timeoutSeconds=9999", null), 400, "OUT_OF_RANGE");
    }

    // ---- policy and secrets

    @Test
    void policyGetAndSet() {
        JsonObject global = api.get("/v1/policy").json();
        assertThat(global.getString("scope")).isEqualTo("global");
        assertThat(global.getJsonObject("document")).isEqualTo(new JsonObject().put("preset", "balanced"));

        String id = create(new JsonObject().put("start", false).put("policy", new JsonObject().put("default", "deny")))
                .getString("id");
        JsonObject sp = api.get("/v1/sandboxes/" + id + "/policy").json();
        assertThat(sp.getString("scope")).isEqualTo("sandbox");
        assertThat(sp.getJsonObject("document")).isEqualTo(new JsonObject().put("default", "deny"));
        JsonObject doc = new JsonObject().put("rules", new JsonArray().add(new JsonObject().put("id", "gh")
                .put("action", "allow").put("domain", "api.github.com").put("ports", new JsonArray().add(443))));
        JsonObject set = api.put("/v1/sandboxes/" + id + "/policy", doc).json();
        assertThat(set.getLong("version")).isGreaterThan(sp.getLong("version"));
        assertThat(api.get("/v1/sandboxes/" + id + "/policy").json().getJsonObject("document")).isEqualTo(doc);

        ApiClient.Response bad = api.put("/v1/sandboxes/" + id + "/policy", new JsonObject().put("preset", "nope")
                .put("rules", new JsonArray().add(new JsonObject().put("action", "allow"))));
        assertError(bad, 400, "POLICY_INVALID");
        assertThat(bad.json().getJsonArray("details")).hasSize(2);
        assertThat(api.get("/v1/sandboxes/" + id + "/policy").json().getJsonObject("document")).isEqualTo(doc);

        JsonObject newGlobal = new JsonObject().put("preset", "locked-down");
        JsonObject g = api.put("/v1/policy", newGlobal).json();
        assertThat(g.getLong("version")).isGreaterThan(set.getLong("version"));
        assertThat(state.resolve("policy.json")).exists();
        assertThat(api.get("/v1/policy").json().getJsonObject("document")).isEqualTo(newGlobal);
        api.put("/v1/policy", new JsonObject().put("preset", "balanced"));
        api.delete("/v1/sandboxes/" + id);
    }

    @Test
    void secretsNeverReturnTheirValues() throws Exception {
        String value = "ghp_supersecretvalue123";
        JsonObject body = new JsonObject().put("value", value).put("hosts", new JsonArray().add("api.github.com"))
                .put("inject", new JsonObject().put("header", "Authorization").put("format", "Bearer {value}"));
        ApiClient.Response put = api.put("/v1/secrets/gh-token", body);
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(put.json().getString("placeholder")).isEqualTo("paddock-secret:gh-token");
        assertThat(put.text()).doesNotContain(value);
        ApiClient.Response list = api.get("/v1/secrets");
        assertThat(list.json().getJsonArray("secrets").getJsonObject(0).getString("name")).isEqualTo("gh-token");
        assertThat(list.text()).doesNotContain(value);
        assertThat(Files.getPosixFilePermissions(state.resolve("secrets.json")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);

        JsonObject sb = create(new JsonObject().put("start", false).put("secrets", new JsonArray().add("gh-token")));
        assertThat(sb.getJsonArray("secrets")).containsExactly("gh-token");
        assertThat(sb.encode()).doesNotContain(value);
        api.delete("/v1/sandboxes/" + sb.getString("id"));

        assertError(api.put("/v1/secrets/gh-token", new JsonObject().put("value", value)), 400, "INVALID_ARGUMENT");
        assertError(api.put("/v1/secrets/Bad%20Name", body), 400, "INVALID_ARGUMENT");
        assertThat(api.delete("/v1/secrets/gh-token").status()).isEqualTo(204);
        assertError(api.delete("/v1/secrets/gh-token"), 404, "NOT_FOUND");
    }

    // ---- metrics, events, TCP, tty

    @Test
    void metricsAndEgressEvents(VertxTestContext test) throws Exception {
        String id = create(new JsonObject()).getString("id");
        api.exec(id, "true");
        Checkpoint sawEgress = test.checkpoint();
        vertx.eventBus().<Object>consumer(dev.paddock.daemon.Addresses.sandboxEvents(id), m -> {
            if (m.body() instanceof dev.paddock.daemon.messages.SandboxEvent.EgressDecided e) {
                test.verify(() -> assertThat(e.audit().destination()).isEqualTo("example.com"));
                sawEgress.flag();
            }
        });
        new EventBusAuditSink(vertx.eventBus()).record(new AuditEvent(Instant.now().toString(), id, "dns",
                "example.com", null, null, "deny", "DEFAULT", "global:default", null, 1, 0, 0, null));
        assertThat(test.awaitCompletion(10, TimeUnit.SECONDS)).isTrue();
        String text = api.get("/metrics").text();
        assertThat(text).contains("paddock_sandboxes{state=\"ready\"}", "paddock_sandbox_boot_seconds_count",
                "paddock_exec_total{result=\"ok\"}", "paddock_egress_decisions_total{channel=\"dns\",decision=\"deny\"} 1.0",
                "vertx_http_server_requests_total");
        api.delete("/v1/sandboxes/" + id + "?force=true");
    }

    @Test
    void serverSentEventsFollowTheLifecycle(VertxTestContext test) throws Exception {
        String id = create(new JsonObject()).getString("id");
        StringBuilder seen = new StringBuilder();
        Checkpoint stopped = test.checkpoint();
        api.http().request(new RequestOptions().setServer(api.server()).setHost("localhost")
                        .setURI("/v1/events?sandbox=" + id))
                // the handler is set in send's own callback, on the event loop, before any event can arrive
                .onComplete(test.succeeding(req -> req.send().onComplete(test.succeeding(resp -> {
                    test.verify(() -> assertThat(resp.getHeader("Content-Type")).isEqualTo("text/event-stream"));
                    resp.handler(buf -> {
                        seen.append(buf);
                        if (seen.toString().contains("\"to\":\"stopped\"") && seen.toString().contains("event: exit")) {
                            test.verify(() -> assertThat(seen.toString()).contains("event: state\ndata: {",
                                    "\"from\":\"ready\",\"to\":\"stopping\"", "event: exit"));
                            stopped.flag();
                            resp.request().connection().close();
                        }
                    });
                    vertx.setTimer(200, t -> api.send(HttpMethod.POST, "/v1/sandboxes/" + id + "/stop", null));
                }))));
        assertThat(test.awaitCompletion(30, TimeUnit.SECONDS)).as("saw: " + seen).isTrue();
        api.delete("/v1/sandboxes/" + id);
    }

    @Test
    void tcpNeedsTheToken() throws Exception {
        String token = Files.readString(state.resolve("daemon.token")).trim();
        assertThat(token).isEqualTo(daemon.token()).hasSize(64);
        assertThat(Files.getPosixFilePermissions(state.resolve("daemon.token")))
                .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        SocketAddress tcp = SocketAddress.inetSocketAddress(daemon.tcpPort(), "127.0.0.1");
        assertThat(Files.readString(state.resolve("daemon.tcp")).trim()).isEqualTo("127.0.0.1:" + daemon.tcpPort());
        assertError(new ApiClient(vertx, tcp, null).get("/v1/info"), 401, "UNAUTHORIZED");
        assertError(new ApiClient(vertx, tcp, "wrong").get("/metrics"), 401, "UNAUTHORIZED");
        assertThat(new ApiClient(vertx, tcp, token).get("/v1/info").status()).isEqualTo(200);
        assertThat(new ApiClient(vertx, tcp, token).get("/v1/sandboxes").status()).isEqualTo(200);
    }

    @Test
    void ttyOverAWebSocket(VertxTestContext test) throws Exception {
        String id = create(new JsonObject()).getString("id");
        StringBuilder out = new StringBuilder();
        Checkpoint exited = test.checkpoint();
        // Over TCP with the token: Vert.x 5.0.7's WebSocketClient ignores RequestOptions.server, so it cannot
        // reach a unix socket (docs/api.md says what a unix-socket client does instead).
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(daemon.tcpPort())
                .addHeader("Authorization", "Bearer " + daemon.token());
        o.setURI("/v1/sandboxes/" + id + "/tty?argv=sh&argv=-c&argv=stty%20size%3B%20read%20x%3B%20echo%20got:$x&rows=33&cols=101");
        vertx.createWebSocketClient().connect(o).onComplete(test.succeeding(ws -> {
            ws.binaryMessageHandler(b -> out.append(b));
            ws.textMessageHandler(t -> test.verify(() -> {
                assertThat(new JsonObject(t)).isEqualTo(new JsonObject().put("type", "exit").put("code", 0));
                assertThat(out.toString()).contains("33 101", "got:hello");
                exited.flag();
            }));
            ws.writeBinaryMessage(Buffer.buffer("hello\n"));
        }));
        assertThat(test.awaitCompletion(30, TimeUnit.SECONDS)).as("tty output: " + out).isTrue();
        assertError(api.get("/v1/sandboxes/nope/tty"), 404, "NOT_FOUND");
        api.delete("/v1/sandboxes/" + id + "?force=true");
    }
}
