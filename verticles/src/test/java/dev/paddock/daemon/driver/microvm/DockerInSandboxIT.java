package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.daemon.api.ApiClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 6's "done when", end to end: a microVM sandbox runs its own dockerd, and the Debian docker CLI on the host
 * drives it through the sandbox's {@code docker.sock} (an agent stream over vsock to the guest's
 * {@code /var/run/docker.sock}; nothing of a host Docker is involved). No internet: the only image is built here,
 * FROM scratch, out of the host's static busybox. One sandbox for the class. The throughput figures of
 * docs/performance.md are a benchmark, not part of this test: {@link SandboxThroughputBench}
 * ({@code load-tests/bench-sandbox.sh}).
 */
class DockerInSandboxIT {
    static final String IMAGE = DockerSetup.IMAGE;
    private static VmItSupport it;
    private static String id;
    private static Path socket;
    private static DockerCli docker;
    private static int hostPort;

    @BeforeAll
    static void bootSandbox() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            hostPort = s.getLocalPort();
        }
        it = VmItSupport.start("pd-dk");
        long t0 = System.nanoTime();
        id = it.create(new JsonObject()
                .put("name", "dockit").put("cpus", 2).put("memoryMib", 2048).put("diskGib", 8)
                .put("ports", new JsonArray().add(new JsonObject().put("guestPort", 8080).put("hostPort", hostPort)
                        .put("hostAddress", "127.0.0.1"))));
        System.out.printf("DockerInSandboxIT: sandbox ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        socket = it.sandboxDir(id).resolve("docker.sock");
        assertThat(socket).exists();
        docker = new DockerCli(socket, Files.createDirectories(it.state.resolve("docker-config")));
    }

    @AfterAll
    static void deleteSandbox() throws Exception {
        if (it == null) {
            return;
        }
        try {
            if (id != null) {
                it.delete(id);
                assertThat(socket).doesNotExist();
            }
        } finally {
            it.close();
        }
    }

    @Test
    void theHostDockerCliDrivesTheSandboxsPrivateDockerd() throws Exception {
        String version = DockerSetup.awaitDaemon(docker, DockerInSandboxIT::dockerdLog);
        System.out.println("DockerInSandboxIT: client " + docker.binary() + ", server " + version);
        DockerCli.Result info = docker.run(120, "info", "--format", "{{.Name}} {{.Driver}} {{.NCPU}}");
        assertThat(info.out().strip()).as("the guest's daemon: its hostname is the sandbox's, 2 vCPUs; %s", info)
                .startsWith("dockit ").endsWith(" 2");

        DockerSetup.buildBusyboxImage(docker, it.state, DockerInSandboxIT::dockerdLog);

        DockerCli.Result run = docker.run(300, "run", "--rm", IMAGE, "echo", "hello from the sandbox");
        assertThat(run.code()).as("docker run --rm: %s%ndockerd.log:%n%s", run, run.code() == 0 ? "" : dockerdLog())
                .isZero();
        assertThat(run.out().strip()).isEqualTo("hello from the sandbox");

        byte[] input = "stdin goes in,\nand comes back out\n".getBytes(StandardCharsets.UTF_8);
        DockerCli.Result echo = docker.run(300, input, "run", "-i", "--rm", IMAGE, "cat");
        assertThat(echo.code()).as("docker run -i: %s", echo).isZero();
        assertThat(echo.out()).isEqualTo(new String(input, StandardCharsets.UTF_8));

        // Two containers on a user-defined network: the client finds the server by name (embedded DNS).
        assertThat(docker.run(120, "network", "create", "pdnet").code()).isZero();
        DockerCli.Result server = docker.run(300, "run", "-d", "--name", "srv", "--network", "pdnet", IMAGE,
                "sh", "-c", "mkdir -p /www && echo hello across pdnet > /www/index.html && exec httpd -f -p 80 -h /www");
        assertThat(server.code()).as("server container: %s", server).isZero();
        DockerCli.Result client = null;
        for (int i = 0; i < 10; i++) {
            client = docker.run(300, "run", "--rm", "--network", "pdnet", IMAGE, "wget", "-qO-", "http://srv/");
            if (client.code() == 0) {
                break;
            }
            Thread.sleep(1000);
        }
        assertThat(client.code()).as("client container: %s", client).isZero();
        assertThat(client.out().strip()).isEqualTo("hello across pdnet");

        // A guest HTTP server (a container published on the guest's 8080) on the host's loopback port.
        DockerCli.Result web = docker.run(300, "run", "-d", "--name", "web", "-p", "8080:80", "-p", "8081:80", IMAGE, "sh", "-c",
                "mkdir -p /www && echo hello through a published port > /www/index.html && exec httpd -f -p 80 -h /www");
        assertThat(web.code()).as("published container: %s", web).isZero();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hostPort + "/"))
                .timeout(Duration.ofSeconds(60)).build();
        String body = null;
        Exception last = null;
        for (int i = 0; i < 30 && body == null; i++) {
            try {
                HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                body = r.body();
            } catch (java.io.IOException e) {
                last = e;
                Thread.sleep(1000);
            }
        }
        assertThat(body).as("GET http://127.0.0.1:%d/ (last error %s)", hostPort, last)
                .isEqualTo("hello through a published port\n");
        Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "60", "http://127.0.0.1:" + hostPort + "/")
                .redirectErrorStream(true).start();
        String curled = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor()).as("curl: %s", curled).isZero();
        assertThat(curled).isEqualTo("hello through a published port\n");

        // Added while the VM runs: guest port 8081 (the same container, see -p above) on a free host port answers
        // there; the guest port already published is refused; removed, the new host port refuses connections and
        // the first publication is untouched.
        ApiClient.Response twice = it.api.post("/v1/sandboxes/" + id + "/ports", new JsonObject().put("guestPort", 8080));
        assertThat(twice.status()).as(twice.toString()).isEqualTo(409);
        assertThat(twice.json().getString("code")).isEqualTo("PORT_TAKEN");
        ApiClient.Response added = it.api.post("/v1/sandboxes/" + id + "/ports", new JsonObject().put("guestPort", 8081));
        assertThat(added.status()).as(added.toString()).isEqualTo(201);
        int runtimePort = added.json().getInteger("hostPort");
        HttpResponse<String> viaRuntime = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runtimePort
                + "/")).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(viaRuntime.statusCode()).isEqualTo(200);
        assertThat(viaRuntime.body()).isEqualTo("hello through a published port\n");
        ApiClient.Response removed = it.api.delete("/v1/sandboxes/" + id + "/ports/" + runtimePort);
        assertThat(removed.status()).as(removed.toString()).isEqualTo(204);
        try (Socket s = new Socket()) {
            assertThatThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.1", runtimePort), 5000))
                    .isInstanceOf(ConnectException.class);
        }
        assertThat(http.send(get, HttpResponse.BodyHandlers.ofString()).body())
                .isEqualTo("hello through a published port\n");

        assertThat(docker.run(120, "rm", "-f", "srv", "web").code()).isZero();
    }


    /** The guest's dockerd log, for a failure message. */
    static String dockerdLog() {
        try {
            return it.api.exec(id, "sh", "-c", "tail -n 60 /var/log/dockerd.log").output("stdout");
        } catch (AssertionError e) {
            return "(could not read /var/log/dockerd.log: " + e.getMessage() + ")";
        }
    }
}
