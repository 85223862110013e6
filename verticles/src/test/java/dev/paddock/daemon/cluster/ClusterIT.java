package dev.paddock.daemon.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.AgentBuild;
import dev.paddock.daemon.Daemon;
import dev.paddock.daemon.DaemonConfig;
import dev.paddock.daemon.DaemonMain;
import dev.paddock.daemon.api.ApiClient;
import dev.paddock.daemon.metrics.DaemonMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three clustered daemons in this JVM (docs/cluster.md), each with its own state directory, the loopback driver and
 * Hazelcast on 127.0.0.1 with free ports and a cluster name of its own: the whole cluster in every {@code ls},
 * placement on the least-loaded member, requests (exec, stop, logs, the tty WebSocket) sent to one member reaching
 * the member that runs the sandbox, names unique across the cluster, and a crashed member's sandboxes shown lost.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    private static final int FAILURE_TIMEOUT_S = 4;
    private static final List<Member> MEMBERS = new ArrayList<>();
    private static Vertx clients;
    private static Path root;

    /** One daemon of the cluster and the test's client of its TCP API. */
    record Member(String label, Daemon daemon, Cluster cluster, ApiClient api, Path state) {
        String node() {
            return cluster.nodeId();
        }
    }

    @BeforeAll
    static void startCluster() throws Exception {
        Path agent = AgentBuild.binary();
        root = AgentBuild.shortTempDir("pd-cl");
        Path token = root.resolve("cluster.token");
        byte[] raw = new byte[32];
        new java.security.SecureRandom().nextBytes(raw);
        Files.writeString(token, HexFormat.of().formatHex(raw) + "\n");
        List<Integer> ports = freePorts(3);
        List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
        String name = "paddock-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000;
        clients = Vertx.vertx();
        String[] labels = {"alpha", "beta", "gamma"};
        for (int i = 0; i < 3; i++) {
            ClusterOptions options = new ClusterOptions("127.0.0.1", ports.get(i), members, name, labels[i], token,
                    FAILURE_TIMEOUT_S);
            Path state = root.resolve(labels[i]); // the daemon makes it, owner only
            DaemonMetrics metrics = new DaemonMetrics();
            Cluster cluster = ClusterBoot.start(new VertxOptions(), metrics, options).await(90, TimeUnit.SECONDS);
            Daemon daemon = Daemon.start(cluster, new DaemonConfig(state, "127.0.0.1", 0, agent, Duration.ofSeconds(30))
                    .withCluster(options), metrics).await(60, TimeUnit.SECONDS);
            assertThat(daemon.token()).isEqualTo(Files.readString(token).strip());
            MEMBERS.add(new Member(labels[i], daemon, cluster, new ApiClient(clients,
                    SocketAddress.inetSocketAddress(daemon.tcpPort(), "127.0.0.1"), daemon.token()), state));
        }
        for (Member m : MEMBERS) {
            eventually("member " + m.label() + " sees 3 members", () -> m.cluster().manager().getNodes().size() == 3);
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        for (Member m : MEMBERS) {
            try {
                m.daemon().stop().await(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("ClusterIT: stopping " + m.label() + ": " + e);
            }
            try {
                m.cluster().vertx().close().await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("ClusterIT: closing " + m.label() + "'s Vert.x: " + e);
            }
        }
        if (clients != null) {
            clients.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static Member member(String label) {
        return MEMBERS.stream().filter(m -> m.label().equals(label)).findFirst().orElseThrow();
    }

    private static JsonObject create(Member via, String query, JsonObject body) {
        ApiClient.Response r = via.api().post("/v1/sandboxes" + query, body);
        assertThat(r.status()).as(r.toString()).isEqualTo(201);
        return r.json();
    }

    /** The sandboxes {@code ls} on this member shows, by name. */
    private static Map<String, JsonObject> ls(Member via) {
        ApiClient.Response r = via.api().get("/v1/sandboxes");
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        Map<String, JsonObject> byName = new HashMap<>();
        r.json().getJsonArray("sandboxes").forEach(o -> byName.put(((JsonObject) o).getString("name"), (JsonObject) o));
        return byName;
    }

    @Test
    @Order(1)
    void placementListingForwardingAndNames() throws Exception {
        Member a = member("alpha");
        Member b = member("beta");
        Member c = member("gamma");
        // Uneven load: two on alpha, one on beta, none on gamma.
        assertThat(create(a, "?host=alpha", new JsonObject().put("name", "a1")).getString("host")).isEqualTo("alpha");
        assertThat(create(b, "?host=alpha", new JsonObject().put("name", "a2")).getString("host")).isEqualTo("alpha");
        assertThat(create(a, "?host=beta", new JsonObject().put("name", "b1")).getString("host")).isEqualTo("beta");
        eventually("gamma's ls shows the three ready", () -> {
            Map<String, JsonObject> seen = ls(c);
            return seen.keySet().containsAll(List.of("a1", "a2", "b1"))
                    && seen.values().stream().allMatch(s -> s.getString("state").equals("ready"));
        });

        // A create on alpha lands on gamma, the least-loaded member, which runs it.
        JsonObject placed = create(a, "", new JsonObject().put("name", "p1"));
        assertThat(placed.getString("host")).isEqualTo("gamma");
        assertThat(placed.getString("node")).isEqualTo(c.node());
        assertThat(placed.getString("dir")).startsWith(c.state().toString());
        assertThat(placed.getString("state")).isEqualTo("ready");
        // Now beta and gamma carry one each: the tie goes to the smaller node id.
        eventually("alpha's ls shows p1 ready", () -> ls(a).containsKey("p1"));
        JsonObject tie = create(a, "", new JsonObject().put("name", "p2"));
        String smaller = b.node().compareTo(c.node()) < 0 ? "beta" : "gamma";
        assertThat(tie.getString("host")).as("tie between beta %s and gamma %s", b.node(), c.node())
                .isEqualTo(smaller);

        // ls on every member: every sandbox, with the member that runs it.
        Map<String, String> where = Map.of("a1", "alpha", "a2", "alpha", "b1", "beta", "p1", "gamma", "p2", smaller);
        for (Member m : MEMBERS) {
            eventually("ls on " + m.label() + " lists all five with their hosts", () -> {
                Map<String, JsonObject> seen = ls(m);
                return seen.keySet().equals(where.keySet()) && where.entrySet().stream().allMatch(e ->
                        e.getValue().equals(seen.get(e.getKey()).getString("host"))
                                && member(e.getValue()).node().equals(seen.get(e.getKey()).getString("node")));
            });
        }

        // Requests through beta reach alpha's sandbox: get, exec, logs, stop, start.
        assertThat(b.api().get("/v1/sandboxes/a1").json().getString("host")).isEqualTo("alpha");
        ApiClient.Response exec = b.api().exec("a1", "sh", "-c", "echo from-$(basename $PWD); echo err >&2; exit 3");
        assertThat(exec.status()).as(exec.toString()).isEqualTo(200);
        assertThat(exec.output("stdout")).as(exec.toString()).startsWith("from-");
        assertThat(exec.output("stderr")).isEqualTo("err\n");
        assertThat(exec.last().getInteger("code")).isEqualTo(3);
        assertThat(c.api().get("/v1/sandboxes/a1/logs?source=agent").text()).contains("ready");
        assertThat(c.api().post("/v1/sandboxes/a2/stop", null).json().getString("state")).isEqualTo("stopped");
        assertThat(b.api().post("/v1/sandboxes/a2/start", null).json().getString("state")).isEqualTo("ready");
        assertThat(b.api().get("/v1/sandboxes/nope").status()).isEqualTo(404);

        // The tty WebSocket through gamma into alpha's sandbox.
        StringBuilder out = new StringBuilder();
        CompletableFuture<JsonObject> exit = new CompletableFuture<>();
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(c.daemon().tcpPort())
                .addHeader("Authorization", "Bearer " + c.daemon().token())
                .setURI("/v1/sandboxes/a1/tty?argv=sh&argv=-c&argv=stty%20size%3B%20read%20x%3B%20echo%20got:$x"
                        + "&rows=21&cols=77");
        clients.createWebSocketClient().connect(o).onComplete(ar -> {
            if (ar.failed()) {
                exit.completeExceptionally(ar.cause());
                return;
            }
            ar.result().binaryMessageHandler(buf -> {
                synchronized (out) {
                    out.append(buf);
                }
            });
            ar.result().textMessageHandler(t -> exit.complete(new JsonObject(t)));
            ar.result().writeBinaryMessage(Buffer.buffer("spliced\n"));
        });
        assertThat(exit.get(30, TimeUnit.SECONDS)).isEqualTo(new JsonObject().put("type", "exit").put("code", 0));
        synchronized (out) {
            assertThat(out.toString()).contains("21 77", "got:spliced");
        }

        // Names are unique across the cluster, whichever member is asked and wherever the create is placed.
        ApiClient.Response taken = c.api().post("/v1/sandboxes?host=gamma", new JsonObject().put("name", "a1"));
        assertThat(taken.status()).as(taken.toString()).isEqualTo(409);
        assertThat(taken.json().getString("code")).isEqualTo("NAME_TAKEN");
        ApiClient.Response takenPlaced = b.api().post("/v1/sandboxes", new JsonObject().put("name", "b1"));
        assertThat(takenPlaced.json().getString("code")).as(takenPlaced.toString()).isEqualTo("NAME_TAKEN");

        // A delete through another member frees the name for the whole cluster.
        assertThat(a.api().delete("/v1/sandboxes/b1?force=true").status()).isEqualTo(204);
        eventually("b1 gone from alpha's ls", () -> !ls(a).containsKey("b1"));
        assertThat(create(c, "?host=alpha", new JsonObject().put("name", "b1")).getString("host")).isEqualTo("alpha");
    }

    @Test
    @Order(2)
    void aCrashedMembersSandboxesShowLostOnTheOthers() throws Exception {
        Member a = member("alpha");
        Member b = member("beta");
        Member c = member("gamma");
        eventually("p1 ready in beta's ls", () -> ls(b).containsKey("p1"));
        long t0 = System.nanoTime();
        ClusterBoot.crash(c.cluster()); // gamma's Hazelcast ends without a goodbye, as under kill -9
        for (Member m : List.of(a, b)) {
            eventually("p1 lost on " + m.label(), () -> {
                JsonObject p1 = ls(m).get("p1");
                return p1 != null && p1.getString("state").equals("lost");
            });
        }
        System.out.println("ClusterIT: gamma's sandboxes lost on the others after "
                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms");
        JsonObject p1 = a.api().get("/v1/sandboxes/p1").json();
        assertThat(p1.getString("state")).isEqualTo("lost");
        assertThat(p1.getString("host")).isEqualTo("gamma");
        assertThat(p1.getString("stateReason")).contains("host gamma", "left the cluster");
        ApiClient.Response exec = b.api().exec("p1", "true");
        assertThat(exec.status()).as(exec.toString()).isEqualTo(409);
        assertThat(exec.json().getString("error")).contains("lost");
        // The survivors' own sandboxes are untouched, and new ones go to them only.
        assertThat(ls(b).get("a1").getString("state")).isEqualTo("ready");
        assertThat(create(b, "", new JsonObject().put("name", "after")).getString("host")).isIn("alpha", "beta");
        // A lost sandbox can be dropped from the cluster's view, which frees its name.
        assertThat(b.api().delete("/v1/sandboxes/p1?force=true").status()).isEqualTo(204);
        eventually("p1 gone from alpha's ls", () -> !ls(a).containsKey("p1"));
    }

    @Test
    @Order(3)
    void aPlainDaemonLoadsNoHazelcastClass() throws Exception {
        Path state = root.resolve("plain");
        Path log = root.resolve("plain.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-verbose:class", "-cp", System.getProperty("java.class.path"), DaemonMain.class.getName(),
                "--state", state.toString(), "--agent", AgentBuild.binary().toString(), "--driver", "loopback",
                "--tcp", "127.0.0.1:0")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        try {
            eventually("the plain daemon writes its pid file", () -> {
                assertThat(p.isAlive()).as("plain daemon alive; output tail:\n" + tail(log)).isTrue();
                return Files.exists(state.resolve("daemon.pid"));
            });
            // Create and list a sandbox on it, so the API and lifecycle paths have run too.
            ApiClient api = new ApiClient(clients, SocketAddress.domainSocketAddress(state.resolve("daemon.sock")
                    .toString()), null);
            assertThat(api.post("/v1/sandboxes", new JsonObject().put("start", false)).status()).isEqualTo(201);
            assertThat(api.get("/v1/sandboxes").json().getJsonArray("sandboxes")).hasSize(1);
            assertThat(api.get("/v1/sandboxes").json().getJsonArray("sandboxes").getJsonObject(0).containsKey("host"))
                    .isFalse();
        } finally {
            p.destroy();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        List<String> loaded = Files.readAllLines(log).stream().filter(l -> l.contains("[class,load]")).toList();
        assertThat(loaded).as("the class-loading probe works").anyMatch(l -> l.contains(" io.vertx.core."));
        assertThat(loaded).anyMatch(l -> l.contains(" dev.paddock.daemon.lifecycle.LifecycleVerticle "));
        assertThat(loaded).noneMatch(l -> l.contains(" com.hazelcast.") || l.contains(" io.vertx.spi.cluster."));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    interface Check {
        boolean holds() throws Exception;
    }

    /** Polls for up to 30 s (a member's view trails the member that writes it); fails naming what never held. */
    private static void eventually(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!check.holds()) {
            assertThat(System.nanoTime()).as("within 30 s: " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /**
     * Ports free now and below the kernel's ephemeral range (ip_local_port_range): the members start one after the
     * other, and the first ones' outgoing join attempts take ephemeral ports, which once took the port picked for
     * the third member ("Port [41031] is already in use") when the ports came from the ephemeral range.
     */
    private static List<Integer> freePorts(int n) throws IOException {
        int ephemeralLow = 32768;
        try {
            // Not Files.readString: for a /proc file, which reports size 0, it returned only the first byte here.
            String range;
            try (var in = Files.newInputStream(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
                range = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            }
            ephemeralLow = Integer.parseInt(range.strip().split("\\s+")[0]);
        } catch (IOException | NumberFormatException e) {
            // keep Linux's default
        }
        java.util.Random random = new java.util.Random();
        List<Integer> picked = new ArrayList<>();
        for (int tries = 0; picked.size() < n && tries < 1000; tries++) {
            int port = 10_000 + random.nextInt(Math.max(1, ephemeralLow - 10_000));
            if (picked.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                picked.add(s.getLocalPort());
            } catch (IOException taken) {
                // try another
            }
        }
        if (picked.size() < n) {
            throw new IOException("no " + n + " free ports from 10000 to below " + ephemeralLow + " on 127.0.0.1");
        }
        return picked;
    }
}
