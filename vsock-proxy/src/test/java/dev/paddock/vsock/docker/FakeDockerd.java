package dev.paddock.vsock.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for dockerd on a unix socket, plain JDK and blocking (one thread per connection), independent of the
 * code under test. One request per connection:
 * <ul>
 *   <li>{@code GET /version}: a small JSON answer;</li>
 *   <li>{@code POST /attach} with {@code Upgrade: tcp}: {@code 101 UPGRADED}, then the hijacked stream echoes
 *       every chunk upper-cased until the client half-closes, then writes {@code bye\n} and closes (as an attach
 *       whose container exits when stdin ends);</li>
 *   <li>{@code GET /big/<n>}: {@code n} bytes of a known pattern, counting how many it got onto the socket.</li>
 * </ul>
 */
final class FakeDockerd implements AutoCloseable {
    final Path path;
    final AtomicLong bigBytesWritten = new AtomicLong();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final ServerSocketChannel server;
    private final Thread acceptor;

    FakeDockerd(Path path) throws IOException {
        this.path = path;
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        acceptor = new Thread(this::acceptLoop, "fake-dockerd");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static byte pattern(long i) {
        return (byte) (i * 31 + (i >>> 13));
    }

    private void acceptLoop() {
        while (server.isOpen()) {
            try {
                SocketChannel connection = server.accept();
                Thread t = new Thread(() -> serve(connection), "fake-dockerd-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(SocketChannel connection) {
        try (connection) {
            String head = readHead(connection);
            String requestLine = head.substring(0, head.indexOf("\r\n"));
            if (requestLine.startsWith("GET /version ")) {
                byte[] body = "{\"Version\":\"fake-27.0\",\"ApiVersion\":\"1.47\"}".getBytes(StandardCharsets.UTF_8);
                write(connection, ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                write(connection, body);
            } else if (requestLine.startsWith("POST /attach ") && head.contains("Upgrade: tcp")) {
                write(connection, "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                ByteBuffer buffer = ByteBuffer.allocate(8192);
                while (connection.read(buffer.clear()) >= 0) {
                    write(connection, new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8)
                            .toUpperCase().getBytes(StandardCharsets.UTF_8));
                }
                write(connection, "bye\n".getBytes(StandardCharsets.UTF_8));
            } else if (requestLine.startsWith("GET /big/")) {
                long n = Long.parseLong(requestLine.split(" ")[1].substring("/big/".length()));
                write(connection, ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + n
                        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = new byte[64 * 1024];
                for (long sent = 0; sent < n; ) {
                    int len = (int) Math.min(chunk.length, n - sent);
                    for (int i = 0; i < len; i++) {
                        chunk[i] = pattern(sent + i);
                    }
                    write(connection, java.util.Arrays.copyOf(chunk, len));
                    sent += len;
                    bigBytesWritten.set(sent);
                }
            } else {
                write(connection, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException | RuntimeException e) {
            errors.add(e);
        }
    }

    private static String readHead(SocketChannel connection) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            if (connection.read(one.clear()) < 0) {
                throw new IOException("the client closed before the end of its request head: " + head);
            }
            head.write(one.get(0));
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    private static void write(SocketChannel connection, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            connection.write(buffer);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
