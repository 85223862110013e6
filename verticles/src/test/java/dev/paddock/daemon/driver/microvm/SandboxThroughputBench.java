package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The benchmark behind docs/performance.md's vsock and docker-socket figures ({@link SandboxThroughput}) on a
 * microVM sandbox of its own (2 vCPUs, 2 GiB, 8 GiB disk). Not an integration test: Failsafe's default names
 * (*IT) leave it out of {@code dev/test}; {@code load-tests/bench-sandbox.sh} runs it, in the helper VM when the
 * accelerator probe says emulated. Every figure's byte count is still checked, so a short transfer fails it.
 */
class SandboxThroughputBench {
    @Test
    void figures() throws Exception {
        try (VmItSupport it = VmItSupport.start("pd-tp")) {
            long t0 = System.nanoTime();
            String id = it.create(new JsonObject()
                    .put("name", "bench").put("cpus", 2).put("memoryMib", 2048).put("diskGib", 8));
            System.out.printf("SandboxThroughputBench: sandbox ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            Path socket = it.sandboxDir(id).resolve("docker.sock");
            DockerCli docker = new DockerCli(socket, Files.createDirectories(it.state.resolve("docker-config")));
            java.util.function.Supplier<String> log = () -> it.api.exec(id, "sh", "-c", "tail -n 60 /var/log/dockerd.log")
                    .output("stdout");
            try {
                System.out.println("SandboxThroughputBench: dockerd " + DockerSetup.awaitDaemon(docker, log));
                DockerSetup.buildBusyboxImage(docker, it.state, log);
                new SandboxThroughput(it, id, docker).measure();
            } finally {
                it.slow(HttpMethod.DELETE, "/v1/sandboxes/" + id + "?force=true", null);
            }
        }
    }
}
