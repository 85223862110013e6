package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.api.ApiClient;
import dev.paddock.runtime.vmm.GuestRamPool;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Issue 8 on the microvm driver: a sandbox created through the daemon's API boots the sandbox image in a real
 * microVM; exec runs in the guest (its kernel, its vCPUs); the Firecracker-style vsock socket answers; stop is an
 * orderly power-off; a second start finds the state disk as it was left; delete removes everything.
 */
class MicroVmSandboxIT {
    @Test
    void createExecStopStartDelete() throws Exception {
        try (VmItSupport it = VmItSupport.start("pd-vm")) {
            long t0 = System.nanoTime();
            String id = it.create(new JsonObject()
                    .put("name", "vmit").put("cpus", 2).put("memoryMib", 1024).put("diskGib", 2));
            ApiClient.Response created = it.api.get("/v1/sandboxes/" + id);
            assertThat(created.json().getString("state")).as(created.toString()).isEqualTo("ready");
            assertThat(created.json().getString("driver")).isEqualTo("microvm");
            System.out.printf("MicroVmSandboxIT: first boot to ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            Path dir = it.sandboxDir(id);

            // The guest's own kernel: the image's, not the host's.
            String kernelFile = it.image.resolve("vmlinuz").toRealPath().getFileName().toString();
            ApiClient.Response uname = it.api.exec(id, "uname", "-r");
            assertThat(uname.last().getInteger("code")).as(uname.toString()).isZero();
            assertThat(uname.output("stdout").strip()).isEqualTo(kernelFile.substring("vmlinuz-".length()));
            ApiClient.Response cpus = it.api.exec(id, "sh", "-c", "cat /proc/cpuinfo | grep -c processor");
            assertThat(cpus.output("stdout").strip()).as(cpus.toString()).isEqualTo("2");
            ApiClient.Response host = it.api.exec(id, "hostname");
            assertThat(host.output("stdout").strip()).isEqualTo("vmit");

            // Written on the overlay, whose upper layer lives on the state disk.
            String marker = "persisted-" + System.nanoTime();
            ApiClient.Response write = it.api.exec(id, "sh", "-c", "echo " + marker + " > /root/marker && sync");
            assertThat(write.last().getInteger("code")).as(write.toString()).isZero();

            // The Firecracker-style socket: CONNECT to the agent's port is answered OK <host port>.
            Path vsock = dir.resolve("vsock.sock");
            assertThat(vsock).exists();
            try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                ch.connect(UnixDomainSocketAddress.of(vsock));
                ch.write(ByteBuffer.wrap("CONNECT 1024\n".getBytes(StandardCharsets.US_ASCII)));
                assertThat(readLine(ch)).matches("OK \\d+");
            }
            assertThat(Files.exists(dir.resolve("state.ext4"))).isTrue();

            ApiClient.Response stopped = it.slow(HttpMethod.POST, "/v1/sandboxes/" + id + "/stop?wait=true&timeoutSeconds=60", null);
            assertThat(stopped.status()).as(stopped.toString()).isEqualTo(200);
            assertThat(stopped.json().getString("state")).isEqualTo("stopped");
            assertThat(stopped.json().getString("stateReason")).as("an orderly power-off, not a kill")
                    .contains("shutdown").doesNotContain("killed");
            assertThat(vsock).as("the socket goes with the VM").doesNotExist();

            // The first boot told the daemon's guest RAM pool it was over, so RAM for the restart is being made ready.
            GuestRamPool pool = GuestRamPool.shared();
            assertThat(pool).as("the pool (paddock.ramPool.maxBytes in the failsafe configuration)").isNotNull();
            assertThat(pool.awaitReady(1024L << 20, Duration.ofSeconds(180))).as("1 GiB of guest RAM made ready").isTrue();

            t0 = System.nanoTime();
            ApiClient.Response started = it.slow(HttpMethod.POST, "/v1/sandboxes/" + id + "/start?wait=true", null);
            assertThat(started.status()).as("restart: %s; console:%n%s", started, it.consoleLog(id)).isEqualTo(200);
            assertThat(started.json().getString("state")).isEqualTo("ready");
            System.out.printf("MicroVmSandboxIT: second boot (state disk kept) to ready in %.1f s%n",
                    (System.nanoTime() - t0) / 1e9);
            assertThat(((MicroVmDriver) it.daemon.driver()).running(id).orElseThrow().vm().guestRamWasReady())
                    .as("the restart's guest RAM came ready from the pool").isTrue();
            ApiClient.Response read = it.api.exec(id, "cat", "/root/marker");
            assertThat(read.output("stdout").strip()).as(read.toString()).isEqualTo(marker);

            // The serial console reached console.log: the agent's lines from both boots and the orderly shutdown
            // between them (the image's cmdline has `quiet`, so the kernel itself says little).
            assertThat(it.consoleLog(id)).contains("paddock-agent: loaded").contains("PADDOCK-AGENT-READY")
                    .contains("shutting down (SHUTDOWN from the host)");
            assertThat(it.consoleLog(id).split("PADDOCK-AGENT-READY", -1)).as("two boots").hasSize(3);

            it.delete(id);
            assertThat(dir).doesNotExist();
            assertThat(it.api.get("/v1/sandboxes/" + id).status()).isEqualTo(404);
        }
    }

    private static String readLine(SocketChannel ch) throws Exception {
        StringBuilder sb = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (ch.read(one) < 0) {
                return sb.toString();
            }
            char c = (char) one.get(0);
            if (c == '\n') {
                return sb.toString();
            }
            sb.append(c);
        }
    }
}
