package dev.paddock.vsock.publish;

import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.agent.StreamTarget;
import dev.paddock.vsock.splice.AgentStreamDuplex;
import dev.paddock.vsock.splice.HostSocket;
import dev.paddock.vsock.splice.Splice;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Publishes a sandbox's guest TCP ports on host loopback ports, added and removed while the sandbox runs. Each
 * connection to a published host port opens an agent stream to {@code 127.0.0.1:<guestPort>} in the guest and is
 * spliced to it (back-pressure and half-close both ways). Only loopback: a published port is for the host's own
 * tools; exposing it further is a decision for whoever owns the host's network.
 *
 * <p>{@link #unpublish} closes the listener and, with it, the connections it accepted (a Vert.x 5 {@code NetServer}
 * closes its connections when it closes); their agent streams are reset, so the guest service sees its
 * connections reset too.
 */
public final class PortPublisher {
    public static final String LOOPBACK = "127.0.0.1";

    private record Listener(PublishedPort port, NetServer server) {
    }

    private final Vertx vertx;
    private final String sandbox;
    private final Supplier<Future<AgentClient>> agent;
    private final Map<Integer, Listener> byGuestPort = new ConcurrentHashMap<>();

    public PortPublisher(Vertx vertx, String sandbox, Supplier<Future<AgentClient>> agent) {
        this.vertx = vertx;
        this.sandbox = sandbox;
        this.agent = agent;
    }

    /** Publishes {@code guestPort} on {@code 127.0.0.1:hostPort}; 0 picks a free host port. */
    public Future<PublishedPort> publish(int guestPort, int hostPort) {
        if (guestPort < 1 || guestPort > 65535 || hostPort < 0 || hostPort > 65535) {
            return Future.failedFuture(new IllegalArgumentException("cannot publish guest port " + guestPort
                    + " on host port " + hostPort + " of sandbox " + sandbox
                    + ": the guest port must be 1..65535 and the host port 0..65535 (0 picks one)"));
        }
        Listener existing = byGuestPort.get(guestPort);
        if (existing != null) {
            return Future.failedFuture(new IllegalStateException("guest port " + guestPort + " of sandbox " + sandbox
                    + " is already published on " + existing.port().hostAddress() + ":" + existing.port().hostPort()
                    + "; unpublish it first"));
        }
        StreamTarget target = StreamTarget.tcp(guestPort);
        String where = "tcp:127.0.0.1:" + guestPort + " in sandbox " + sandbox;
        NetServer server = vertx.createNetServer(new NetServerOptions().setHost(LOOPBACK).setPort(hostPort));
        server.connectHandler(socket -> {
            HostSocket host = HostSocket.wrap(socket, "connection to published port " + socket.localAddress().port()
                    + " of sandbox " + sandbox);
            Future<AgentClient> client;
            try {
                client = agent.get();
            } catch (RuntimeException e) {
                client = Future.failedFuture(e);
            }
            client.compose(c -> c.openStream(target)).onComplete(ar -> {
                if (ar.succeeded()) {
                    Splice.join(host, new AgentStreamDuplex(ar.result(), where));
                } else {
                    host.abort(); // TCP has no error line: the client sees the connection close, as with no server
                }
            });
        });
        return server.listen().compose(s -> {
            PublishedPort port = new PublishedPort(guestPort, LOOPBACK, s.actualPort());
            if (byGuestPort.putIfAbsent(guestPort, new Listener(port, s)) != null) {
                return s.close().transform(x -> Future.failedFuture(new IllegalStateException("guest port "
                        + guestPort + " of sandbox " + sandbox + " was published concurrently; unpublish it first")));
            }
            return Future.succeededFuture(port);
        }, e -> Future.failedFuture(new IllegalStateException("cannot publish guest port " + guestPort
                + " of sandbox " + sandbox + " on " + LOOPBACK + ":" + hostPort + ": " + e.getMessage()
                + (hostPort != 0 ? "; pick another host port, or 0 for any free one" : ""), e)));
    }

    /** Stops listening for {@code guestPort} and closes its live connections. Fails if it was not published. */
    public Future<Void> unpublish(int guestPort) {
        Listener listener = byGuestPort.remove(guestPort);
        if (listener == null) {
            return Future.failedFuture(new IllegalStateException("guest port " + guestPort + " of sandbox " + sandbox
                    + " is not published; published: " + published()));
        }
        return listener.server().close();
    }

    /** What is published now. */
    public List<PublishedPort> published() {
        List<PublishedPort> ports = new ArrayList<>();
        byGuestPort.values().forEach(l -> ports.add(l.port()));
        ports.sort((a, b) -> Integer.compare(a.guestPort(), b.guestPort()));
        return ports;
    }

    /** Unpublishes everything (the sandbox stops). */
    public Future<Void> closeAll() {
        List<Future<Void>> closing = new ArrayList<>();
        for (Integer port : List.copyOf(byGuestPort.keySet())) {
            closing.add(unpublish(port));
        }
        return Future.all(closing).mapEmpty();
    }
}
