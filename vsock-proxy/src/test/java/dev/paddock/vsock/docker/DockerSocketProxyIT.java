package dev.paddock.vsock.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.agent.BlockedThreadWatch;
import dev.paddock.vsock.agent.RealAgent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The docker.sock proxy against the real guest agent in loopback mode, with {@link FakeDockerd} standing in for
 * dockerd at a path in the test's directory (in loopback mode the agent's "guest" is this host). The clients are
 * plain blocking JDK unix sockets on the test thread, as the docker CLI is to the proxy.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DockerSocketProxyIT {
    static Path binary;
    static Vertx vertx;
    static BlockedThreadWatch blocked;

    RealAgent agent;
    AgentClient client;
    FakeDockerd dockerd;
    DockerSocketProxy proxy;

    @BeforeAll
    static void setUpAll() throws Exception {
        binary = RealAgent.build();
        blocked = BlockedThreadWatch.install();
        vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setBlockedThreadCheckInterval(100)
                .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS).setMaxEventLoopExecuteTime(500)
                .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
        assertThat(vertx.isNativeTransportEnabled()).as("epoll: " + vertx.unavailableNativeTransportCause()).isTrue();
    }

    @AfterAll
    static void tearDownAll() throws Exception {
        await(vertx.close());
        blocked.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        agent = RealAgent.start(binary);
        client = await(AgentClient.connect(vertx, agent.address()));
        dockerd = new FakeDockerd(agent.directory().resolve("dockerd.sock"));
        proxy = await(DockerSocketProxy.listen(vertx, "sb-docker", agent.directory().resolve("docker.sock"),
                () -> Future.succeededFuture(client), dockerd.path.toString()));
        blocked.clear();
    }

    @AfterEach
    void tearDown() throws Exception {
        await(proxy.close());
        await(client.close());
        dockerd.close();
        agent.close();
        assertThat(dockerd.errors).as("fake dockerd errors").isEmpty();
        assertThat(blocked.warnings()).as("blocked event loops").isEmpty();
    }

    static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    SocketChannel connect() throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(proxy.path()));
    }

    static void send(SocketChannel channel, String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    static String readHead(SocketChannel channel) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            if (channel.read(one.clear()) < 0) {
                return head.toString(StandardCharsets.US_ASCII) + "<EOF>";
            }
            head.write(one.get(0));
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    static String readExactly(SocketChannel channel, int n) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(n);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                break;
            }
        }
        return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }

    static String readToEnd(SocketChannel channel) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (channel.read(buffer.clear()) >= 0) {
            all.write(buffer.array(), 0, buffer.position());
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aPlainRequestReachesTheDaemon() throws Exception {
        try (SocketChannel docker = connect()) {
            send(docker, "GET /version HTTP/1.1\r\nHost: docker\r\n\r\n");
            String head = readHead(docker);
            String body = "{\"Version\":\"fake-27.0\",\"ApiVersion\":\"1.47\"}";
            assertThat(head).startsWith("HTTP/1.1 200 OK\r\n").contains("Content-Length: " + body.length());
            assertThat(readExactly(docker, body.length())).isEqualTo(body);
        }
    }

    @Test
    void aHijackedStreamCarriesBothWaysAndSurvivesTheClientsHalfClose() throws Exception {
        try (SocketChannel docker = connect()) {
            send(docker, "POST /attach HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
            assertThat(readHead(docker)).startsWith("HTTP/1.1 101 UPGRADED\r\n");
            send(docker, "hello container\n");
            assertThat(readExactly(docker, 16)).isEqualTo("HELLO CONTAINER\n");
            send(docker, "second line\n");
            assertThat(readExactly(docker, 12)).isEqualTo("SECOND LINE\n");
            docker.shutdownOutput(); // docker run -i: stdin ended; the CLI still reads the container's output
            assertThat(readToEnd(docker)).isEqualTo("bye\n");
        }
    }

    @Test
    void sixtyFourMebibytesThroughASlowReaderStayBounded() throws Exception {
        long total = 64L * 1024 * 1024;
        try (SocketChannel docker = connect()) {
            send(docker, "GET /big/" + total + " HTTP/1.1\r\nHost: docker\r\n\r\n");
            assertThat(readHead(docker)).startsWith("HTTP/1.1 200 OK\r\n");
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            long received = 0;
            long maxInFlight = 0;
            boolean paused = false;
            while (received < total) {
                int n = docker.read(buffer.clear());
                assertThat(n).as("stream ended early at " + received).isPositive();
                for (int i = 0; i < n; i++) {
                    if (buffer.get(i) != FakeDockerd.pattern(received + i)) {
                        throw new AssertionError("byte " + (received + i) + " differs");
                    }
                }
                received += n;
                if (!paused && received > total / 4) {
                    paused = true;
                    Thread.sleep(1500); // the reader stalls: everything between must stop, not buffer 48 MiB
                    long inFlight = dockerd.bigBytesWritten.get() - received;
                    assertThat(inFlight).as("bytes the daemon wrote that the stalled client has not read")
                            .isLessThan(16L * 1024 * 1024);
                    maxInFlight = inFlight;
                } else if (received % (4 * 1024 * 1024) < n) {
                    Thread.sleep(20); // slow, not stopped
                }
            }
            assertThat(received).isEqualTo(total);
            assertThat(maxInFlight).isPositive();
        }
    }

    @Test
    void aDaemonThatIsNotUpGetsA502NamingTheSandbox() throws Exception {
        dockerd.close();
        java.nio.file.Files.deleteIfExists(dockerd.path);
        try (SocketChannel docker = connect()) {
            send(docker, "GET /version HTTP/1.1\r\nHost: docker\r\n\r\n");
            String answer = readToEnd(docker);
            assertThat(answer).startsWith("HTTP/1.1 502 Bad Gateway\r\n").contains("Connection: close")
                    .contains("the Docker daemon of sandbox sb-docker is not reachable at " + dockerd.path)
                    .contains("retry");
        }
    }

    @Test
    void anAgentThatIsNotConnectedGetsA502Too() throws Exception {
        DockerSocketProxy early = await(DockerSocketProxy.listen(vertx, "sb-booting",
                agent.directory().resolve("early.sock"),
                () -> Future.failedFuture(new IllegalStateException("the agent of sandbox sb-booting is not connected yet"))));
        try (SocketChannel docker = SocketChannel.open(UnixDomainSocketAddress.of(early.path()))) {
            send(docker, "GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n");
            assertThat(readToEnd(docker)).startsWith("HTTP/1.1 502 Bad Gateway\r\n")
                    .contains("sandbox sb-booting").contains("not connected yet");
        } finally {
            await(early.close());
        }
    }
}
