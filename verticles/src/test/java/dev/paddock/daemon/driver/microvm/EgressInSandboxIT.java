package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.api.ApiClient;
import dev.paddock.hypervisor.memory.GuestScan;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 7's "done when" inside a real sandbox (microvm driver): the guest has no NIC; its curl goes through the
 * agent's redirect, vsock, the daemon's bridge and netpolicy's proxy. Upstreams are loopback servers behind public
 * test addresses (netpolicy's dial route), with names from a test DNS server (every address of the helper VM is
 * host-protected, so nothing else could be reached).
 */
class EgressInSandboxIT {
    private static final String ALLOWED = "allowed.test";
    private static final String ALLOWED_IP = "203.0.113.10";
    private static final String DENIED = "denied.test";
    private static final String DENIED_IP = "203.0.113.11";
    private static final String SECRET_VALUE = "s3cr3t-" + Long.toHexString(System.nanoTime());

    @Test
    void curlAllowedDeniedAndASecretThatStaysOnTheHost() throws Exception {
        Vertx side = Vertx.vertx();
        Path work = Files.createTempDirectory("egress-it");
        try (EgressTestNet net = new EgressTestNet(side, work)) {
            // An HTTPS upstream with the test CA. What arrived stays here: echoing the value back would put it in the
            // guest, and the scans at the end would rightly find it there.
            java.util.concurrent.atomic.AtomicReference<String> upstreamSaw = new java.util.concurrent.atomic.AtomicReference<>();
            HttpServer https = net.https(ALLOWED, r -> {
                String auth = String.valueOf(r.getHeader("Authorization"));
                upstreamSaw.set(auth);
                r.response().end("upstream got the secret: " + auth.equals("Bearer " + SECRET_VALUE) + "\n");
            });
            net.install(Map.of(ALLOWED, ALLOWED_IP, DENIED, DENIED_IP),
                    Map.of(ALLOWED_IP + ":443", https.actualPort(), DENIED_IP + ":80", https.actualPort()));

            try (VmItSupport it = VmItSupport.start("pd-eg")) {
                ApiClient.Response secret = it.api.put("/v1/secrets/testtoken", new JsonObject().put("value", SECRET_VALUE)
                        .put("hosts", new JsonArray().add(ALLOWED))
                        .put("inject", new JsonObject().put("header", "Authorization").put("format", "Bearer {value}")));
                assertThat(secret.status()).as(secret.toString()).isEqualTo(200);
                long t0 = System.nanoTime();
                String id = it.create(new JsonObject()
                        .put("name", "egit").put("memoryMib", 1024).put("diskGib", 2)
                        .put("secrets", new JsonArray().add("testtoken"))
                        .put("policy", new JsonObject().put("default", "deny").put("rules", new JsonArray()
                                .add(new JsonObject().put("action", "allow").put("domain", ALLOWED)
                                        .put("ports", new JsonArray().add(443))))));
                step("create (boot to ready)", t0);
                assertThat(it.consoleLog(id)).as("the agent's egress set-up").contains("egress on");

                // env shows the placeholder only
                t0 = System.nanoTime();
                ApiClient.Response env = it.api.exec(id, "env");
                step("exec env", t0);
                assertThat(env.output("stdout")).contains("PADDOCK_SECRET_TESTTOKEN=paddock-secret:testtoken")
                        .doesNotContain(SECRET_VALUE);

                // denied: the name does not resolve (NXDOMAIN); pinned to an address, plain HTTP gets the 403
                t0 = System.nanoTime();
                ApiClient.Response nx = it.api.exec(id, "sh", "-c", "curl -sS --max-time 30 https://" + DENIED + "/");
                step("exec curl of a denied name", t0);
                assertThat(nx.last().getInteger("code")).as(nx.toString()).isNotZero();
                assertThat(nx.output("stderr")).contains("Could not resolve host");
                ApiClient.Response denied = it.api.exec(id, "sh", "-c", "curl -sS --max-time 30 -i --resolve "
                        + DENIED + ":80:" + DENIED_IP + " http://" + DENIED + "/");
                Path auditSoFar = it.state.resolve("egress-audit.jsonl");
                assertThat(denied.output("stdout")).as("%s%nstderr: %s%naudit:%n%s", denied, denied.output("stderr"),
                        Files.exists(auditSoFar) ? Files.readString(auditSoFar) : "(none)").startsWith("HTTP/1.1 403")
                        .contains("Paddock egress: denied by");
                // allowed HTTPS: resolved through the filter, intercepted with the sandbox CA (the guest trusts it),
                // the placeholder swapped for the value on the way out
                t0 = System.nanoTime();
                ApiClient.Response ok = it.api.exec(id, "sh", "-c",
                        "curl -sS --max-time 60 -H \"Authorization: Bearer $PADDOCK_SECRET_TESTTOKEN\" https://" + ALLOWED + "/");
                step("exec curl of the allowed HTTPS upstream", t0);
                Path auditFile = it.state.resolve("egress-audit.jsonl");
                if (ok.last().getInteger("code") != 0) {
                    ApiClient.Response verbose = it.api.exec(id, "sh", "-c", "curl -v --max-time 60 https://" + ALLOWED
                            + "/ 2>&1 | tail -n 25");
                    assertThat(ok.last().getInteger("code")).as("%s%ncurl -v:%n%s%nconsole:%n%s%naudit:%n%s",
                            ok.output("stderr"), verbose.output("stdout"), it.consoleLog(id),
                            Files.exists(auditFile) ? Files.readString(auditFile) : "(none)").isZero();
                }
                assertThat(ok.output("stdout")).isEqualTo("upstream got the secret: true\n");
                assertThat(upstreamSaw.get()).isEqualTo("Bearer " + SECRET_VALUE);

                // UDP other than DNS goes nowhere; the audit log has every decision, never the value
                Path audit = it.state.resolve("egress-audit.jsonl");
                String log = Files.readString(audit);
                assertThat(log).contains("\"sandbox\":\"" + id + "\"").contains(ALLOWED).doesNotContain(SECRET_VALUE);

                secretNeverEnteredTheGuest(it, id);

                it.delete(id);
            }
        } finally {
            side.close();
        }
    }

    /** Each step's time on the output, so a slow run can be told from a hung one (a call gives up after 120 s). */
    private static void step(String what, long startNanos) {
        System.out.printf("EgressInSandboxIT: %s took %d ms%n", what, (System.nanoTime() - startNanos) / 1_000_000);
    }

    /**
     * Issue 7's scan: after the run, the guest's RAM (the VM paused, read through the VMM's own view of it) and
     * every file of the sandbox on the host, its state disk included (after an orderly stop, so the guest's page
     * cache is on it), hold the secret's value zero times. Each scan also has to find something that is there, so
     * a scan that reads nothing cannot pass: the placeholder in RAM (the guest's environment), a marker on disk.
     */
    private static void secretNeverEnteredTheGuest(VmItSupport it, String id) throws Exception {
        byte[] value = SECRET_VALUE.getBytes(StandardCharsets.US_ASCII);
        MicroVmSandbox sandbox = ((MicroVmDriver) it.daemon.driver()).running(id).orElseThrow();
        long t0 = System.nanoTime();
        long[] inRam = sandbox.countInGuestMemory(List.of(value,
                "paddock-secret:testtoken".getBytes(StandardCharsets.US_ASCII)));
        System.out.printf("EgressInSandboxIT: guest RAM: the secret %d times, its placeholder %d times (%.1f s)%n",
                inRam[0], inRam[1], (System.nanoTime() - t0) / 1e9);
        assertThat(inRam[1]).as("the placeholder, which the guest does hold").isPositive();
        assertThat(inRam[0]).as("the secret's value in the guest's RAM").isZero();

        String marker = "on-the-state-disk-" + Long.toHexString(System.nanoTime());
        ApiClient.Response wrote = it.api.exec(id, "sh", "-c", "echo " + marker + " > /root/marker && sync");
        assertThat(wrote.last().getInteger("code")).as(wrote.toString()).isZero();
        ApiClient.Response stopped = it.slow(HttpMethod.POST, "/v1/sandboxes/" + id + "/stop?wait=true&timeoutSeconds=60", null);
        assertThat(stopped.status()).as(stopped.toString()).isEqualTo(200);
        t0 = System.nanoTime();
        long markers = 0;
        List<String> scanned = new java.util.ArrayList<>();
        try (var files = Files.walk(it.sandboxDir(id))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                long[] hits = GuestScan.countInFile(f, List.of(value, marker.getBytes(StandardCharsets.US_ASCII)));
                assertThat(hits[0]).as("the secret's value in %s", f).isZero();
                markers += hits[1];
                scanned.add(f.getFileName() + " (" + Files.size(f) + " bytes)");
            }
        }
        System.out.printf("EgressInSandboxIT: no secret in %s (%.1f s)%n", scanned, (System.nanoTime() - t0) / 1e9);
        assertThat(scanned).as("the state disk is among the files scanned").anyMatch(f -> f.startsWith("state.ext4 "));
        assertThat(markers).as("the marker the guest wrote to its disk, found by the same scan").isPositive();
    }
}
