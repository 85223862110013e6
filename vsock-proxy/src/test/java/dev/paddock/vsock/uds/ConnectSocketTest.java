package dev.paddock.vsock.uds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.vsock.mux.FakeVsockDevice;
import dev.paddock.vsock.mux.FakeVsockDevice.GuestEnd;
import dev.paddock.vsock.mux.VsockMuxer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Firecracker-style socket against the in-memory device: a plain JDK unix-socket client (blocking, on the test
 * thread) writes CONNECT lines and half-closes, as a Firecracker client would.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConnectSocketTest {
    static Vertx vertx;

    Path dir;
    VsockMuxer muxer;
    FakeVsockDevice device;
    ConnectSocket socket;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
        assertThat(vertx.isNativeTransportEnabled()).as("epoll transport: " + vertx.unavailableNativeTransportCause())
                .isTrue();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        await(vertx.close());
    }

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("paddock-vsock-sock");
        muxer = new VsockMuxer(vertx, "sb-uds");
        device = new FakeVsockDevice(muxer);
        muxer.attach(device);
        socket = await(ConnectSocket.listen(vertx, muxer, dir.resolve("vsock.sock")));
    }

    @AfterEach
    void tearDown() throws Exception {
        await(socket.close());
        assertThat(dir.resolve("vsock.sock")).doesNotExist();
        assertThat(device.violations()).isEmpty();
        device.close();
    }

    static <T> T await(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    SocketChannel client() throws IOException {
        return SocketChannel.open(UnixDomainSocketAddress.of(socket.path()));
    }

    static void send(SocketChannel channel, String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }

    /** Reads one line, byte by byte, so nothing after it is consumed. */
    static String readLine(SocketChannel channel) throws IOException {
        StringBuilder line = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (channel.read(one) < 0) {
                return line.append("<EOF>").toString();
            }
            char c = (char) one.get(0);
            if (c == '\n') {
                return line.toString();
            }
            line.append(c);
        }
    }

    static String readToEnd(SocketChannel channel) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (channel.read(buffer.clear()) >= 0) {
            all.write(buffer.array(), 0, buffer.position());
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    static void waitUntil(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void theSocketFileIsOwnerOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.path()))).isEqualTo("rw-------");
    }

    @Test
    void connectAnswersOkWithTheHostPortThenCarriesBytesAndHalfClosesBothWays() throws Exception {
        CompletableFuture<GuestEnd> accepted = new CompletableFuture<>();
        device.listen(52, accepted::complete);
        try (SocketChannel client = client()) {
            send(client, "CONNECT 52\n");
            assertThat(readLine(client)).isEqualTo("OK 49152");
            GuestEnd guest = accepted.get(5, TimeUnit.SECONDS);

            send(client, "request from the host");
            client.shutdownOutput(); // the client is done writing, and still reads
            assertThat(new String(guest.readToEnd(5000), StandardCharsets.UTF_8)).isEqualTo("request from the host");

            guest.send("answer after the half-close".getBytes(StandardCharsets.UTF_8));
            guest.shutdownSend();
            assertThat(readToEnd(client)).isEqualTo("answer after the half-close");
            waitUntil("the vsock stream closes in order", guest::closed);
            assertThat(guest.closeReason()).isEqualTo("both sides shut down");
        }
    }

    @Test
    void bytesSentRightAfterTheLineReachTheGuest() throws Exception {
        CompletableFuture<GuestEnd> accepted = new CompletableFuture<>();
        device.listen(53, accepted::complete);
        try (SocketChannel client = client()) {
            send(client, "connect 53\r\nearly bytes"); // Firecracker accepts any case; a CR is tolerated
            client.shutdownOutput();
            assertThat(readLine(client)).isEqualTo("OK 49152");
            assertThat(new String(accepted.get(5, TimeUnit.SECONDS).readToEnd(5000), StandardCharsets.UTF_8))
                    .isEqualTo("early bytes");
        }
    }

    @Test
    void aPortNobodyListensOnIsAnsweredWithAnErrorLineAndClosed() throws Exception {
        try (SocketChannel client = client()) {
            send(client, "CONNECT 54\n");
            assertThat(readLine(client)).startsWith("ERROR cannot connect to vsock port 54: ")
                    .contains("nothing listens there");
            assertThat(readLine(client)).isEqualTo("<EOF>");
        }
    }

    @Test
    void aLineThatIsNotConnectIsAnsweredWithAnErrorLine() throws Exception {
        try (SocketChannel client = client()) {
            send(client, "HELLO 52\n");
            assertThat(readLine(client)).isEqualTo("ERROR expected 'CONNECT <port>', got 'HELLO 52'");
            assertThat(readLine(client)).isEqualTo("<EOF>");
        }
        try (SocketChannel client = client()) {
            send(client, "CONNECT 99999999999\n");
            assertThat(readLine(client)).isEqualTo("ERROR port '99999999999' is not a decimal number 0..4294967294");
        }
        try (SocketChannel client = client()) {
            send(client, "CONNECT 4294967295\n");
            assertThat(readLine(client)).isEqualTo("ERROR port 4294967295 is out of range 0..4294967294");
        }
    }

    @Test
    void anOverlongLineIsCutOffAtTheLimit() throws Exception {
        try (SocketChannel client = client()) {
            send(client, "CONNECT " + "0".repeat(40)); // no newline, ever
            assertThat(readLine(client)).isEqualTo("ERROR the CONNECT line is longer than 32 bytes");
            assertThat(readLine(client)).isEqualTo("<EOF>");
        }
    }

    @Test
    void withoutTheNativeTransportListeningFailsWithTheFix() throws Exception {
        Vertx nio = Vertx.vertx();
        try {
            assertThatThrownBy(() -> await(ConnectSocket.listen(nio, muxer, dir.resolve("other.sock")))).cause()
                    .hasMessageContaining("setPreferNativeTransport(true)");
        } finally {
            await(nio.close());
        }
    }

    @Test
    void aTooLongPathIsRefusedWithTheLimit() {
        Path deep = dir.resolve("d".repeat(120) + ".sock");
        assertThatThrownBy(() -> await(ConnectSocket.listen(vertx, muxer, deep))).cause()
                .hasMessageContaining("at most 107");
    }
}
