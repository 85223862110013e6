package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.api.ApiClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 7's last "done when" inside a real sandbox (microvm driver): the guest's dockerd pulls an image from a
 * registry on the host, over HTTPS that the egress proxy intercepts with the sandbox's CA (a method rule makes it
 * read the requests), and a container of that image sees the same CA in its own
 * {@code /etc/ssl/certs/ca-certificates.crt}, put there by the image's runc wrapper (guest/image/paddock-runc).
 * The registry ({@link TestRegistry}, busybox built on the host) listens on loopback with the test CA, behind the
 * public test address that {@code registry.test} resolves to ({@link EgressTestNet}).
 */
class RegistryPullInSandboxIT {
    private static final String REGISTRY = "registry.test";
    private static final String REGISTRY_IP = "203.0.113.20";
    private static final String IMAGE = REGISTRY + "/paddock/busybox:1";
    private static final String RULE = "registry-read";

    @Test
    void dockerPullsThroughTheSandboxCaAndItsContainersTrustIt() throws Exception {
        Vertx side = Vertx.vertx();
        Path work = Files.createTempDirectory("registry-it");
        try (EgressTestNet net = new EgressTestNet(side, work)) {
            TestRegistry registry = TestRegistry.busybox("paddock/busybox", "1", work);
            HttpServer https = net.https(REGISTRY, registry.handler());
            net.install(Map.of(REGISTRY, REGISTRY_IP), Map.of(REGISTRY_IP + ":443", https.actualPort()));

            try (VmItSupport it = VmItSupport.start("pd-rg")) {
                long t0 = System.nanoTime();
                String id = it.create(new JsonObject()
                        .put("name", "regit").put("cpus", 2).put("memoryMib", 2048).put("diskGib", 8)
                        .put("policy", new JsonObject().put("default", "deny").put("rules", new JsonArray()
                                .add(new JsonObject().put("id", RULE).put("action", "allow").put("domain", REGISTRY)
                                        .put("ports", new JsonArray().add(443))
                                        // a method rule: the proxy must read the requests, so it intercepts
                                        .put("methods", new JsonArray().add("GET").add("HEAD"))))));
                System.out.printf("RegistryPullInSandboxIT: sandbox ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
                Path auditFile = it.state.resolve("egress-audit.jsonl");
                Supplier<String> logs = () -> "dockerd.log (last 60 lines):\n" + guestLog(it, id, "/var/log/dockerd.log")
                        + "\naudit log:\n" + read(auditFile) + "\nregistry requests: " + registry.requests();

                DockerCli docker = new DockerCli(it.sandboxDir(id).resolve("docker.sock"),
                        Files.createDirectories(it.state.resolve("docker-config")));
                String version = DockerSetup.awaitDaemon(docker, logs);
                DockerCli.Result runtime = docker.run(120, "info", "--format", "{{.DefaultRuntime}}");
                assertThat(runtime.out().strip()).as("the guest dockerd's default runtime: %s", runtime).isEqualTo("paddock");

                // The guest's curl first: it trusts the sandbox CA too, and it warms the proxy's interception of the
                // name (the leaf minted, the TLS code paths compiled). dockerd's Go client gives a TLS handshake 10 s,
                // which the proxy's first interception under the emulated accelerator can outlast.
                ApiClient.Response curl = it.api.exec(id, "sh", "-c",
                        "curl -sS --max-time 240 https://" + REGISTRY + "/v2/");
                assertThat(curl.last().getInteger("code")).as("guest curl https://%s/v2/: %s%nstderr: %s%n%s", REGISTRY,
                        curl, curl.output("stderr"), logs.get()).isZero();
                assertThat(curl.output("stdout")).isEqualTo("{}");

                t0 = System.nanoTime();
                DockerCli.Result pull = docker.run(600, "pull", IMAGE);
                if (pull.code() != 0 && pull.err().contains("TLS handshake timeout")) {
                    // no HTTP request reached the registry (its log says so below); once more, as a user would
                    System.out.println("RegistryPullInSandboxIT: docker pull hit Go's 10 s TLS handshake timeout under"
                            + " emulation; pulling again. Registry requests so far: " + registry.requests());
                    pull = docker.run(600, "pull", IMAGE);
                }
                assertThat(pull.code()).as("docker pull %s: %s%n%s", IMAGE, pull, logs.get()).isZero();
                assertThat(pull.out()).as("docker pull %s: %s%n%s", IMAGE, pull, logs.get())
                        .contains("Digest: " + registry.manifestDigest())
                        .contains("Downloaded newer image for " + IMAGE);
                System.out.printf("RegistryPullInSandboxIT: server %s pulled %s (%s) in %.1f s%n", version, IMAGE,
                        registry.manifestDigest(), (System.nanoTime() - t0) / 1e9);
                // dockerd 20.10: the API check, the tag resolved by HEAD, the manifest by digest, both blobs
                List<String> pullRequests = List.of(
                        "GET /v2/", // the guest's curl
                        "GET /v2/",
                        "HEAD /v2/paddock/busybox/manifests/1",
                        "GET /v2/paddock/busybox/manifests/" + registry.manifestDigest(),
                        "GET /v2/paddock/busybox/blobs/" + registry.configDigest(),
                        "GET /v2/paddock/busybox/blobs/" + registry.layerDigest());
                assertThat(registry.requests().stream().filter(r -> r.contains(" /v2")).toList()).as(logs.get())
                        .containsExactlyInAnyOrderElementsOf(pullRequests.stream().map(r -> r + " -> 200").toList());

                // the container's bundle is the guest's, with the sandbox CA: the runc wrapper mounted it
                String sandboxCa = Files.readString(it.sandboxDir(id).resolve("egress-ca.crt")).strip();
                DockerCli.Result cat = docker.run(300, "run", "--rm", IMAGE, "cat", "/etc/ssl/certs/ca-certificates.crt");
                assertThat(cat.code()).as("docker run --rm %s cat ...: %s%n%s", IMAGE, cat, logs.get()).isZero();
                assertThat(cat.out()).as("the container's CA bundle").contains(sandboxCa);
                System.out.println("RegistryPullInSandboxIT: the container's /etc/ssl/certs/ca-certificates.crt ("
                        + cat.out().length() + " bytes) holds the sandbox CA");

                // one allowed DNS decision for the name, and each registry request an allowed, intercepted decision
                List<JsonObject> events = awaitAudit(auditFile, id, registry);
                List<JsonObject> dns = events.stream().filter(e -> e.getString("channel").equals("dns")
                        && e.getString("destination").startsWith(REGISTRY)).toList();
                List<JsonObject> http = events.stream().filter(e -> e.getString("channel").equals("http")
                        && REGISTRY.equals(hostName(e.getString("host")))).toList();
                assertThat(dns).as(logs.get()).isNotEmpty().allSatisfy(e -> assertThat(e.getString("decision")).isEqualTo("allow"));
                assertThat(http.stream().map(e -> e.getString("detail")).toList()).as(logs.get())
                        .containsExactlyInAnyOrderElementsOf(pullRequests.stream().map(r -> "https " + r).toList());
                assertThat(http).as(logs.get()).allSatisfy(e -> {
                    assertThat(e.getString("decision")).isEqualTo("allow");
                    assertThat(e.getString("rule")).isEqualTo(RULE);
                    assertThat(e.getString("sni")).isEqualTo(REGISTRY);
                    assertThat(e.getString("destination")).isEqualTo(REGISTRY_IP + ":443");
                });
                assertThat(events).as("no registry decision is a denial; %s", logs.get())
                        .noneMatch(e -> e.getString("decision").equals("deny")
                                && (REGISTRY.equals(hostName(e.getString("host"))) || e.getString("destination").startsWith(REGISTRY)));
                long layerBytes = registry.blob(registry.layerDigest()).length;
                assertThat(http.stream().mapToLong(e -> e.getLong("bytesIn", 0L)).sum()).as(logs.get())
                        .isGreaterThanOrEqualTo(layerBytes);
                System.out.printf("RegistryPullInSandboxIT: audit: %d dns, %d http decisions for %s, all allowed by %s%n",
                        dns.size(), http.size(), REGISTRY, http.get(0).getString("rule"));

                it.delete(id);
            }
        } finally {
            side.close();
        }
    }

    /**
     * The sandbox's audit events, once the registry's six requests (curl's, then the pull's five) have theirs (the audit file is written by
     * a writer thread, each request's event when its response completes): at most 30 s.
     */
    private static List<JsonObject> awaitAudit(Path file, String sandbox, TestRegistry registry) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        List<JsonObject> events;
        do {
            events = read(file).lines().filter(l -> l.startsWith("{")).map(JsonObject::new)
                    .filter(e -> sandbox.equals(e.getString("sandbox"))).toList();
            long http = events.stream().filter(e -> "http".equals(e.getString("channel"))
                    && REGISTRY.equals(hostName(e.getString("host")))).count();
            if (http >= 6) {
                break;
            }
            Thread.sleep(500);
        } while (System.nanoTime() < deadline);
        return events;
    }

    private static String hostName(String host) {
        return host == null ? null : host.replaceFirst(":\\d+$", "");
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "(no " + file + ")";
        } catch (java.io.IOException e) {
            return "(could not read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static String guestLog(VmItSupport it, String id, String path) {
        try {
            return it.api.exec(id, "sh", "-c", "tail -n 60 " + path).output("stdout");
        } catch (AssertionError e) {
            return "(could not read " + path + ": " + e.getMessage() + ")";
        }
    }
}
