package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.AgentBuild;
import dev.paddock.daemon.Daemon;
import dev.paddock.daemon.DaemonConfig;
import dev.paddock.daemon.api.ApiClient;
import dev.paddock.daemon.metrics.DaemonMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A daemon on the microvm driver for the VM-booting daemon ITs ({@code *SandboxIT}), which run where
 * {@code /dev/kvm} is native: on this host when the accelerator probe says native, inside the helper VM when it
 * says emulated (dev/test, docs/sandbox-driver.md). The image is {@code ${PADDOCK_STATE:-~/.paddock}/images/current}
 * (guest/image/build.sh) or {@code -Dpaddock.it.image=DIR}; a missing image is a failure that says how to build it.
 */
final class VmItSupport implements AutoCloseable {
    /** Under the emulated accelerator a boot to the agent's HELLO takes 40–200 s (docs/performance.md). */
    static final Duration BOOT_TIMEOUT = Duration.ofSeconds(420);
    static final long SLOW_CALL_S = 600;

    final Vertx vertx;
    final Daemon daemon;
    final ApiClient api;
    final Path state;
    final Path image;

    private VmItSupport(Vertx vertx, Daemon daemon, ApiClient api, Path state, Path image) {
        this.vertx = vertx;
        this.daemon = daemon;
        this.api = api;
        this.state = state;
        this.image = image;
    }

    static VmItSupport start(String prefix) throws Exception {
        Path image = imageDirectory();
        SandboxImage.load(image); // fails with the build instructions
        Path state = AgentBuild.shortTempDir(prefix);
        DaemonMetrics metrics = new DaemonMetrics();
        Vertx vertx = Daemon.newVertx(new VertxOptions(), metrics);
        Daemon daemon = Daemon.start(vertx, new DaemonConfig(state, null, 0, null, BOOT_TIMEOUT).withDriver("microvm", image),
                metrics).await(SLOW_CALL_S, TimeUnit.SECONDS);
        ApiClient api = new ApiClient(vertx, SocketAddress.domainSocketAddress(state.resolve("daemon.sock").toString()),
                null);
        VmItSupport it = new VmItSupport(vertx, daemon, api, state, image);
        api.onFailure(it::diagnose);
        return it;
    }

    static Path imageDirectory() {
        String prop = System.getProperty("paddock.it.image");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("PADDOCK_STATE");
        Path stateDir = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".paddock");
        return SandboxImage.defaultDirectory(stateDir);
    }

    /** A call that may wait on a boot or a stop: longer than ApiClient's 120 s. */
    ApiClient.Response slow(HttpMethod method, String uri, JsonObject body) throws Exception {
        return api.send(method, uri, body == null ? null : body.toBuffer()).await(SLOW_CALL_S, TimeUnit.SECONDS);
    }

    /**
     * Creates a sandbox and waits for it to be ready; fails, with the response and the guest's console, unless the
     * daemon answers 201. Returns the sandbox's id.
     */
    String create(JsonObject body) throws Exception {
        ApiClient.Response created = slow(HttpMethod.POST, "/v1/sandboxes?wait=true", body);
        String id = created.status() == 201 ? created.json().getString("id") : null;
        assertThat(created.status()).as("create: %s; console:%n%s", created, id != null ? consoleLog(id) : "(no id)")
                .isEqualTo(201);
        assertThat(created.json().getString("state")).as(created.toString()).isEqualTo("ready");
        return id;
    }

    /** Deletes sandbox {@code id} whatever its state (force=true); fails unless the daemon answers 204. */
    void delete(String id) throws Exception {
        ApiClient.Response deleted = slow(HttpMethod.DELETE, "/v1/sandboxes/" + id + "?force=true", null);
        assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
    }

    Path sandboxDir(String id) {
        return state.resolve("sandboxes").resolve(id);
    }

    String consoleLog(String id) {
        try {
            return Files.readString(sandboxDir(id).resolve("console.log"));
        } catch (IOException e) {
            return "(no console.log: " + e.getMessage() + ")";
        }
    }

    /**
     * After a call that did not complete: every running sandbox's VM state and console ({@link MicroVmSandbox#describe}),
     * whether its agent still answers a health request, the end of its agent log, and the stacks of the daemon's
     * threads. Printed (CI shows the output's tail) and returned for the failure message.
     */
    String diagnose(String call) {
        StringBuilder sb = new StringBuilder("==== diagnostics after '" + call + "' did not complete ====");
        for (MicroVmSandbox s : ((MicroVmDriver) daemon.driver()).runningSandboxes()) {
            sb.append("\n").append(s.describe());
            try {
                sb.append("\nagent health: ").append(s.agent().health().await(15, TimeUnit.SECONDS));
            } catch (Exception e) {
                sb.append("\nagent health: no answer: ").append(e);
            }
            sb.append("\n---- agent.log (end) ----\n").append(tail(sandboxDir(s.id()).resolve("agent.log"), 30));
        }
        try {
            sb.append("\nload: ").append(Files.readString(Path.of("/proc/loadavg")).strip());
        } catch (IOException e) {
            sb.append("\nload: unreadable");
        }
        // CPU time per thread: a VM left behind by an earlier test (its vCPU threads spinning) shows up here.
        sb.append("\n---- threads (CPU ms) ----");
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        for (var e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            StackTraceElement[] st = e.getValue();
            if (st.length == 0 || t.getName().startsWith("ForkJoinPool") || t.getName().startsWith("Reference Handler")) {
                continue;
            }
            long ns = cpu.isThreadCpuTimeSupported() ? cpu.getThreadCpuTime(t.getId()) : -1;
            sb.append("\n").append(t.getName()).append(" ").append(t.getState()).append(" cpu ")
                    .append(ns < 0 ? "?" : Long.toString(ns / 1_000_000));
            for (int i = 0; i < Math.min(st.length, 12); i++) {
                sb.append("\n    at ").append(st[i]);
            }
        }
        String out = sb.toString();
        System.out.println(out);
        return out;
    }

    private static String tail(Path file, int lines) {
        try {
            // Decoded leniently: a log with a stray non-UTF-8 byte must still show its end.
            String[] all = new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.UTF_8).split("\n");
            return String.join("\n", java.util.Arrays.asList(all).subList(Math.max(0, all.length - lines), all.length));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws Exception {
        try {
            daemon.stop().await(SLOW_CALL_S, TimeUnit.SECONDS);
        } finally {
            vertx.close().await(120, TimeUnit.SECONDS);
            // The state directory (records, state disks, logs) lives on the helper VM's tmpfs: free it.
            try (var walk = Files.walk(state)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    static Buffer buffer(String s) {
        return Buffer.buffer(s);
    }
}
