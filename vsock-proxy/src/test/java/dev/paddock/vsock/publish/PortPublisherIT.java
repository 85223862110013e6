package dev.paddock.vsock.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.agent.RealAgent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
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
 * Port publishing against the real agent in loopback mode; the "guest" TCP service is a plain JDK server on this
 * host's 127.0.0.1 that answers after the client's half-close with what it got.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PortPublisherIT {
    static Path binary;
    static Vertx vertx;

    RealAgent agent;
    AgentClient client;
    ServerSocketChannel service;
    Thread serviceThread;
    PortPublisher publisher;

    @BeforeAll
    static void setUpAll() throws Exception {
        binary = RealAgent.build();
        vertx = Vertx.vertx(); // TCP half-closes on the NIO transport too
    }

    @AfterAll
    static void tearDownAll() throws Exception {
        await(vertx.close());
    }

    @BeforeEach
    void setUp() throws Exception {
        agent = RealAgent.start(binary);
        client = await(AgentClient.connect(vertx, agent.address()));
        service = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        serviceThread = new Thread(this::serve, "guest-tcp-service");
        serviceThread.setDaemon(true);
        serviceThread.start();
        publisher = new PortPublisher(vertx, "sb-ports", () -> Future.succeededFuture(client));
    }

    @AfterEach
    void tearDown() throws Exception {
        await(publisher.closeAll());
        service.close();
        await(client.close());
        agent.close();
    }

    /** Reads to end-of-file, then answers "got N bytes: <upper-cased text>" and closes. */
    private void serve() {
        while (service.isOpen()) {
            try {
                SocketChannel c = service.accept();
                Thread t = new Thread(() -> {
                    try (c) {
                        ByteArrayOutputStream got = new ByteArrayOutputStream();
                        ByteBuffer buffer = ByteBuffer.allocate(8192);
                        while (c.read(buffer.clear()) >= 0) {
                            got.write(buffer.array(), 0, buffer.position());
                        }
                        String text = got.toString(StandardCharsets.UTF_8);
                        ByteBuffer answer = ByteBuffer.wrap(("got " + got.size() + " bytes: " + text.toUpperCase())
                                .getBytes(StandardCharsets.UTF_8));
                        while (answer.hasRemaining()) {
                            c.write(answer);
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    int guestPort() throws IOException {
        return ((InetSocketAddress) service.getLocalAddress()).getPort();
    }

    static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    static String exchange(SocketChannel c, String text) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            c.write(out);
        }
        c.shutdownOutput();
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (c.read(buffer.clear()) >= 0) {
            all.write(buffer.array(), 0, buffer.position());
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aPublishedPortReachesTheGuestServiceWithHalfClose() throws Exception {
        PublishedPort port = await(publisher.publish(guestPort(), 0));
        assertThat(port.hostAddress()).isEqualTo("127.0.0.1");
        assertThat(port.hostPort()).isPositive();
        assertThat(publisher.published()).containsExactly(port);
        try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port.hostPort()))) {
            assertThat(exchange(c, "hello")).isEqualTo("got 5 bytes: HELLO");
        }
    }

    @Test
    void publishingTwiceIsRefusedAndUnpublishClosesTheListenerAndItsConnections() throws Exception {
        PublishedPort port = await(publisher.publish(guestPort(), 0));
        assertThatThrownBy(() -> await(publisher.publish(guestPort(), 0))).cause()
                .hasMessageContaining("already published on 127.0.0.1:" + port.hostPort());

        SocketChannel live = SocketChannel.open(new InetSocketAddress("127.0.0.1", port.hostPort()));
        ByteBuffer first = ByteBuffer.wrap("before ".getBytes(StandardCharsets.UTF_8));
        while (first.hasRemaining()) {
            live.write(first);
        }
        Thread.sleep(200); // the connection is spliced to the guest service
        await(publisher.unpublish(guestPort()));
        assertThat(publisher.published()).isEmpty();
        Throwable refused = null;
        for (int i = 0; i < 50 && refused == null; i++) {
            try (SocketChannel again = SocketChannel.open(new InetSocketAddress("127.0.0.1", port.hostPort()))) {
                Thread.sleep(100);
            } catch (ConnectException e) {
                refused = e;
            }
        }
        assertThat(refused).as("the host port refuses connections after unpublish").isNotNull();
        try (live) {
            // Vert.x 5 closes a NetServer's connections with it: unpublish ends live connections too.
            String answer;
            try {
                answer = exchange(live, "after");
            } catch (IOException e) {
                answer = "";
            }
            assertThat(answer).as("a live connection ends with its listener").isEmpty();
        }
        assertThatThrownBy(() -> await(publisher.unpublish(guestPort()))).cause()
                .hasMessageContaining("is not published");
    }

    @Test
    void aGuestPortWithNothingListeningClosesTheHostConnection() throws Exception {
        int closedPort;
        try (ServerSocketChannel probe = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            closedPort = ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
        PublishedPort port = await(publisher.publish(closedPort, 0));
        try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port.hostPort()))) {
            ByteBuffer buffer = ByteBuffer.allocate(16);
            int n;
            try {
                n = c.read(buffer);
            } catch (IOException reset) {
                n = -1;
            }
            assertThat(n).as("the host connection ends without data").isEqualTo(-1);
        }
    }

    @Test
    void badPortsAreRefusedWithTheRanges() {
        assertThatThrownBy(() -> await(publisher.publish(0, 0))).cause().hasMessageContaining("1..65535");
        assertThatThrownBy(() -> await(publisher.publish(80, 70000))).cause().hasMessageContaining("0..65535");
    }
}
