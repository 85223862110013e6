package dev.paddock.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.daemon.AgentBuild;
import dev.paddock.daemon.Daemon;
import dev.paddock.daemon.DaemonConfig;
import dev.paddock.daemon.metrics.DaemonMetrics;
import dev.paddock.daemon.sandbox.SandboxStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 6's port publishing added and removed while a sandbox runs, on the loopback driver (the real guest agent as
 * a host process, so "the guest's" 127.0.0.1 is the host's): an HTTP server started in the sandbox with exec is
 * published at runtime, answers through the host port, is unpublished (the host port then refuses connections),
 * and the request stays in the sandbox's record on disk so a later boot publishes it again. Every refusal is
 * checked for its status and code.
 */
class PortPublishingIT {
    private static final String PAGE = "hello through a port added at runtime\n";
    private static Vertx vertx;
    private static Daemon daemon;
    private static ApiClient api;
    private static Path state;

    @BeforeAll
    static void setUp() throws Exception {
        Path agent = AgentBuild.binary();
        state = AgentBuild.shortTempDir("pd-ports");
        DaemonMetrics metrics = new DaemonMetrics();
        vertx = Daemon.newVertx(new VertxOptions(), metrics);
        daemon = Daemon.start(vertx, new DaemonConfig(state, "127.0.0.1", 0, agent, Duration.ofSeconds(20)), metrics)
                .await(60, TimeUnit.SECONDS);
        api = new ApiClient(vertx, SocketAddress.domainSocketAddress(state.resolve("daemon.sock").toString()), null);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (daemon != null) {
            daemon.stop().await(60, TimeUnit.SECONDS);
        }
        if (vertx != null) {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aPortAddedAtRuntimeAnswersUntilItIsRemovedAndIsKeptForTheNextBoot() throws Exception {
        ApiClient.Response created = api.post("/v1/sandboxes", new JsonObject().put("name", "ports-it"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().getString("id");
        Path www = Files.createDirectories(state.resolve("www"));
        Files.writeString(www.resolve("index.html"), PAGE);
        int guestPort = freePort();

        // The HTTP server runs as an exec of the sandbox for as long as the sandbox does (killed with it).
        Future<ApiClient.Response> server = api.send(HttpMethod.POST, "/v1/sandboxes/" + id + "/exec",
                new JsonObject().put("argv", new JsonArray(List.of("python3", "-m", "http.server",
                        Integer.toString(guestPort), "--bind", "127.0.0.1", "--directory", www.toString())))
                        .toBuffer());
        awaitListening(guestPort, server);

        ApiClient.Response added = api.post("/v1/sandboxes/ports-it/ports", new JsonObject().put("guestPort", guestPort));
        assertThat(added.status()).as(added.toString()).isEqualTo(201);
        int hostPort = added.json().getInteger("hostPort");
        assertThat(hostPort).isPositive().isNotEqualTo(guestPort);
        assertThat(added.json().getString("hostAddress")).isEqualTo("127.0.0.1");
        assertThat(added.json().getString("state")).isEqualTo("published");
        assertThat(httpGet(hostPort)).isEqualTo(PAGE);
        assertThat(portsOf(id)).contains(new JsonObject().put("guestPort", guestPort).put("hostPort", hostPort)
                .put("hostAddress", "127.0.0.1").put("state", "published"));
        assertThat(recordedGuestPorts(id)).containsExactly(guestPort);

        // Refusals: each with its status and code, and nothing changes.
        assertError(api.post("/v1/sandboxes/ports-it/ports", new JsonObject().put("guestPort", guestPort)),
                409, "PORT_TAKEN", "already published on 127.0.0.1:" + hostPort);
        assertError(api.post("/v1/sandboxes/ports-it/ports", new JsonObject().put("guestPort", guestPort + 1)
                .put("hostPort", hostPort)), 409, "PORT_TAKEN", "127.0.0.1:" + hostPort);
        assertError(api.post("/v1/sandboxes/ports-it/ports", new JsonObject().put("guestPort", 0)), 400,
                "OUT_OF_RANGE", "guestPort 0");
        assertError(api.post("/v1/sandboxes/ports-it/ports", new JsonObject().put("guestPort", 80)
                .put("hostPort", 70000)), 400, "OUT_OF_RANGE", "hostPort 70000");
        assertError(api.post("/v1/sandboxes/ports-it/ports", new JsonObject().put("hostPort", 8080)), 400,
                "INVALID_ARGUMENT", "guestPort is missing");
        assertError(api.post("/v1/sandboxes/ports-it/ports", new JsonObject().put("guestPort", 80)
                .put("hostAddress", "0.0.0.0")), 400, "INVALID_ARGUMENT", "0.0.0.0");
        assertError(api.delete("/v1/sandboxes/ports-it/ports/http"), 400, "INVALID_ARGUMENT", "\"http\"");
        assertError(api.delete("/v1/sandboxes/ports-it/ports/0"), 400, "OUT_OF_RANGE", "hostPort 0");
        int unused = freePort();
        assertError(api.delete("/v1/sandboxes/ports-it/ports/" + unused), 404, "NOT_FOUND",
                "host port " + unused);
        assertError(api.post("/v1/sandboxes/nope/ports", new JsonObject().put("guestPort", 80)), 404, "NOT_FOUND",
                "nope");
        assertThat(recordedGuestPorts(id)).containsExactly(guestPort);
        assertThat(httpGet(hostPort)).isEqualTo(PAGE);

        ApiClient.Response removed = api.delete("/v1/sandboxes/ports-it/ports/" + hostPort);
        assertThat(removed.status()).as(removed.toString()).isEqualTo(204);
        assertThatThrownBy(() -> new Socket("127.0.0.1", hostPort).close()).isInstanceOf(ConnectException.class);
        assertThat(portsOf(id)).isEmpty();
        assertThat(recordedGuestPorts(id)).isEmpty();
        assertThat(agentLog(id)).contains("port published: guest " + guestPort + " on 127.0.0.1:" + hostPort,
                "port unpublished: guest " + guestPort + " on 127.0.0.1:" + hostPort);

        // Added again, then stopped: refused while stopped, recorded on disk, and published again by the next boot.
        int again = api.post("/v1/sandboxes/ports-it/ports", new JsonObject().put("guestPort", guestPort)).json()
                .getInteger("hostPort");
        assertThat(httpGet(again)).isEqualTo(PAGE);
        ApiClient.Response stopped = api.post("/v1/sandboxes/ports-it/stop", null);
        assertThat(stopped.json().getString("state")).as(stopped.toString()).isEqualTo("stopped");
        assertThatThrownBy(() -> new Socket("127.0.0.1", again).close()).isInstanceOf(ConnectException.class);
        assertError(api.post("/v1/sandboxes/ports-it/ports", new JsonObject().put("guestPort", 80)), 409,
                "ILLEGAL_STATE", "is stopped, not ready");
        assertError(api.delete("/v1/sandboxes/ports-it/ports/" + again), 409, "ILLEGAL_STATE", "is stopped");
        JsonObject down = portsOf(id).get(0);
        assertThat(down.getString("state")).isEqualTo("not-published");
        assertThat(down.getString("reason")).contains("the sandbox is stopped");
        assertThat(recordedGuestPorts(id)).containsExactly(guestPort);

        ApiClient.Response started = api.post("/v1/sandboxes/ports-it/start", null);
        assertThat(started.json().getString("state")).as(started.toString()).isEqualTo("ready");
        JsonObject up = portsOf(id).get(0);
        assertThat(up.getInteger("guestPort")).isEqualTo(guestPort);
        assertThat(up.getString("state")).as(up.toString()).isEqualTo("published");
        try (Socket s = new Socket("127.0.0.1", up.getInteger("hostPort"))) {
            assertThat(s.isConnected()).as("the next boot listens on the recorded port again").isTrue();
        }
        assertThat(api.delete("/v1/sandboxes/" + id + "?force=true").status()).isEqualTo(204);
    }

    private static void assertError(ApiClient.Response r, int status, String code, String inMessage) {
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.json().getString("code")).as(r.toString()).isEqualTo(code);
        assertThat(r.json().getString("error")).as(r.toString()).contains(inMessage);
    }

    private static List<JsonObject> portsOf(String id) {
        ApiClient.Response r = api.get("/v1/sandboxes/" + id + "/ports");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.json().getJsonArray("ports").stream().map(o -> (JsonObject) o).toList();
    }

    /** The guest ports of the record as written on disk (what a restarted daemon loads). */
    private static List<Integer> recordedGuestPorts(String id) throws Exception {
        JsonObject record = new JsonObject(Files.readString(state.resolve("sandboxes").resolve(id)
                .resolve(SandboxStore.RECORD_FILE)));
        return record.getJsonObject("spec").getJsonArray("ports").stream()
                .map(o -> ((JsonObject) o).getInteger("guestPort")).toList();
    }

    private static String agentLog(String id) throws Exception {
        Path log = state.resolve("sandboxes").resolve(id).resolve("agent.log");
        long deadline = System.currentTimeMillis() + 5000;
        String text = Files.exists(log) ? Files.readString(log) : "";
        // Written asynchronously (AsyncFile) after the event.
        while (!text.contains("port unpublished") && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
            text = Files.exists(log) ? Files.readString(log) : "";
        }
        return text;
    }

    private static String httpGet(int port) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/index.html")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private static void awaitListening(int port, Future<ApiClient.Response> server) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (ConnectException e) {
                assertThat(server.isComplete()).as("the HTTP server exec ended: %s", server.result()).isFalse();
                assertThat(System.currentTimeMillis()).as("python3's http.server listening on %d within 30 s",
                        port).isLessThan(deadline);
                Thread.sleep(50);
            }
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
