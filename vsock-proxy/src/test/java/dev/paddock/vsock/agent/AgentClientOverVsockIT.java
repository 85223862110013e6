package dev.paddock.vsock.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.runtime.virtio.vsock.VsockBackend;
import dev.paddock.vsock.mux.FakeVsockDevice;
import dev.paddock.vsock.mux.FakeVsockDevice.GuestEnd;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent client over a vsock stream: the fake device's guest port 1024 is bridged (two plain threads) to the
 * real agent in loopback mode, so the client's bytes cross the VsockSocket and the device port as they will in
 * a sandbox.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentClientOverVsockIT {

    /** Copies between the guest end of a stream and the agent's unix socket until both directions end. */
    static void bridge(GuestEnd guest, Path agentSocket) {
        SocketChannel agent;
        try {
            agent = SocketChannel.open(UnixDomainSocketAddress.of(agentSocket));
        } catch (IOException e) {
            guest.sendReset();
            return;
        }
        Thread fromAgent = new Thread(() -> {
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            try {
                int n;
                while ((n = agent.read(buffer.clear())) >= 0) {
                    byte[] bytes = new byte[n];
                    buffer.flip().get(bytes);
                    guest.send(bytes);
                }
                guest.shutdownSend();
            } catch (IOException e) {
                guest.sendReset();
            }
        }, "bridge-agent-to-guest");
        Thread toAgent = new Thread(() -> {
            try {
                while (!guest.endOfInput() && !guest.closed()) {
                    byte[] bytes = guest.read(64 * 1024);
                    if (bytes.length == 0) {
                        Thread.sleep(1);
                        continue;
                    }
                    ByteBuffer out = ByteBuffer.wrap(bytes);
                    while (out.hasRemaining()) {
                        agent.write(out);
                    }
                }
                agent.shutdownOutput();
            } catch (IOException | InterruptedException e) {
                guest.sendReset();
            }
        }, "bridge-guest-to-agent");
        fromAgent.setDaemon(true);
        toAgent.setDaemon(true);
        fromAgent.start();
        toAgent.start();
    }

    static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    @Test
    void execAndHealthOverAVsockStreamToPort1024() throws Exception {
        Path binary = RealAgent.build();
        Vertx vertx = Vertx.vertx();
        try (RealAgent agent = RealAgent.start(binary);
                FakeVsockDevice device = new FakeVsockDevice(VsockBackend.REFUSE_ALL)) {
            device.listen(AgentClient.VSOCK_PORT, guest -> bridge(guest, agent.directory().resolve("agent.sock")));
            AgentClient client = await(AgentClient.connect(vertx, device, "sb-vsock", new AgentClientOptions()));
            assertThat(client.agent().software()).startsWith("paddock-agent/");
            assertThat(await(client.health()).major()).isEqualTo(1);

            ExecProcess p = await(client.exec(ExecRequest.shell("head -c 1048576 /dev/zero | wc -c")));
            CompletableFuture<String> out = new CompletableFuture<>();
            Buffer all = Buffer.buffer();
            p.stdout().handler(all::appendBuffer).endHandler(v -> out.complete(all.toString().trim()));
            p.stderr().handler(b -> { });
            assertThat(out.get(20, TimeUnit.SECONDS)).isEqualTo("1048576");
            assertThat(await(p.exitStatus())).isEqualTo(ExitStatus.exited(0));
            await(client.close());
            assertThat(device.violations()).isEmpty();
        } finally {
            await(vertx.close());
        }
    }

    @Test
    void noAgentListeningFailsNamingTheSandboxAndPort() throws Exception {
        Vertx vertx = Vertx.vertx();
        try (FakeVsockDevice device = new FakeVsockDevice(VsockBackend.REFUSE_ALL)) {
            assertThatThrownBy(() -> await(AgentClient.connect(vertx, device, "sb-empty", new AgentClientOptions())))
                    .cause().isInstanceOf(AgentConnectionException.class).hasMessageContaining("sb-empty")
                    .hasMessageContaining("vsock port 1024");
        } finally {
            await(vertx.close());
        }
    }
}
