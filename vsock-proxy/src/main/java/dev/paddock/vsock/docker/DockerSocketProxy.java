package dev.paddock.vsock.docker;

import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.agent.StreamTarget;
import dev.paddock.vsock.splice.AgentStreamDuplex;
import dev.paddock.vsock.splice.HostSocket;
import dev.paddock.vsock.splice.Splice;
import dev.paddock.vsock.uds.HostUnixSocket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The per-sandbox {@code docker.sock} on the host (e.g. {@code <state>/docker.sock}): every connection opens an
 * agent stream to the guest's {@code /var/run/docker.sock} and the two are spliced, bytes as they are, both ways,
 * with back-pressure and half-close. Nothing parses HTTP on the way, so upgraded and hijacked streams (attach,
 * exec, build output, {@code logs -f}) work as they do against a local dockerd; nothing of the host's Docker is
 * used.
 *
 * <p>When the daemon cannot be reached (the agent is not connected yet, or dockerd has not created its socket),
 * the client gets an HTTP {@code 502 Bad Gateway} whose body names the sandbox and the reason: nothing has been
 * sent on that connection yet, so an HTTP answer is what the docker CLI can show.
 */
public final class DockerSocketProxy {
    /** Where dockerd listens inside every sandbox. */
    public static final String GUEST_DOCKER_SOCKET = "/var/run/docker.sock";
    /** After a 502, how long the client may take to close before the socket is closed under it. */
    static final long LINGER_AFTER_ERROR_MS = 5_000;

    private final HostUnixSocket server;

    private DockerSocketProxy(HostUnixSocket server) {
        this.server = server;
    }

    /**
     * Listens on {@code path}. {@code agent} gives the sandbox's current agent connection (it may fail while the
     * sandbox boots); {@code guestSocket} is the daemon's socket in the guest, normally {@link #GUEST_DOCKER_SOCKET}.
     */
    public static Future<DockerSocketProxy> listen(Vertx vertx, String sandbox, Path path,
            Supplier<Future<AgentClient>> agent, String guestSocket) {
        StreamTarget target = StreamTarget.unix(guestSocket);
        String what = "docker socket of sandbox " + sandbox;
        return HostUnixSocket.listen(vertx, path, what, host -> {
            Future<AgentClient> client;
            try {
                client = agent.get();
            } catch (RuntimeException e) {
                client = Future.failedFuture(e);
            }
            client.compose(c -> c.openStream(target)).onComplete(ar -> {
                if (ar.succeeded()) {
                    Splice.join(host, new AgentStreamDuplex(ar.result(), guestSocket + " in sandbox " + sandbox));
                } else {
                    badGateway(vertx, host, sandbox, guestSocket, ar.cause());
                }
            });
        }).map(DockerSocketProxy::new);
    }

    /** Listens on {@code path} for the daemon at {@link #GUEST_DOCKER_SOCKET}. */
    public static Future<DockerSocketProxy> listen(Vertx vertx, String sandbox, Path path,
            Supplier<Future<AgentClient>> agent) {
        return listen(vertx, sandbox, path, agent, GUEST_DOCKER_SOCKET);
    }

    private static void badGateway(Vertx vertx, HostSocket host, String sandbox, String guestSocket, Throwable cause) {
        String body = "paddock: the Docker daemon of sandbox " + sandbox + " is not reachable at " + guestSocket
                + ": " + cause.getMessage() + "\nIt may still be starting; retry in a few seconds, or check the"
                + " sandbox's log for dockerd.\n";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                + bytes.length + "\r\nConnection: close\r\n\r\n";
        // Read (and drop) the request so the client's write does not fail before it reads the answer; close
        // once it closes, or after a linger.
        host.handler(b -> { });
        host.resume();
        host.writeAndEnd(Buffer.buffer(head).appendBytes(bytes));
        vertx.setTimer(LINGER_AFTER_ERROR_MS, id -> host.abort());
    }

    public Path path() {
        return server.path();
    }

    /** Stops accepting, closes the connections it accepted (Vert.x 5 closes a server's connections with it), removes the socket file. */
    public Future<Void> close() {
        return server.close();
    }
}
