package dev.paddock.daemon.driver;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.messages.PortMessages.PortStatus;
import dev.paddock.daemon.sandbox.PortRequest;
import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.publish.PortPublisher;
import dev.paddock.vsock.publish.PublishedPort;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One running sandbox's published ports (issue 6), the same for every driver: vsock-proxy's {@link PortPublisher}
 * over the sandbox's agent connection (its stream open reaches {@code 127.0.0.1:<guestPort>} wherever the agent
 * runs: in the guest, or on the host for the loopback driver), plus why a port asked for at boot is not published.
 * Ports are published at boot from the sandbox's spec, added and removed while it runs, and all closed when it ends;
 * once closed, nothing can be published again (a publication racing the end is undone and refused).
 */
public final class SandboxPorts {
    private final String sandboxId;
    private final PortPublisher publisher;
    /** guest port → why it is not published (a boot-time request that failed). */
    private final Map<Integer, String> notPublished = new ConcurrentHashMap<>();
    private boolean closed;

    public SandboxPorts(Vertx vertx, String sandboxId, Supplier<Future<AgentClient>> agent) {
        this.sandboxId = sandboxId;
        this.publisher = new PortPublisher(vertx, sandboxId, agent);
    }

    /**
     * The spec's ports, each on a host loopback port. A port that cannot be published (its host port is taken, or
     * an address other than loopback was asked for) does not fail the boot: the sandbox runs, the boot progress
     * says which port is missing and why, and {@link #status} reports it.
     */
    public Future<Void> publishAtBoot(List<PortRequest> requests, BootListener listener) {
        List<Future<?>> all = new ArrayList<>();
        for (PortRequest p : requests) {
            if (!PortPublisher.LOOPBACK.equals(p.hostAddress())) {
                String why = "host address " + p.hostAddress() + " is not offered; ports are published on "
                        + PortPublisher.LOOPBACK + " only";
                notPublished.put(p.guestPort(), why);
                listener.progress("port-not-published", "guest port " + p.guestPort() + ": " + why);
                continue;
            }
            all.add(add(p.guestPort(), p.hostPort())
                    .onSuccess(pub -> listener.progress("port-published", "guest port " + pub.guestPort() + " on "
                            + pub.hostAddress() + ":" + pub.hostPort()))
                    .onFailure(e -> {
                        notPublished.put(p.guestPort(), e.getMessage());
                        listener.progress("port-not-published", e.getMessage());
                    }));
        }
        return Future.join(all).otherwiseEmpty().mapEmpty();
    }

    /**
     * Publishes {@code guestPort} on {@code 127.0.0.1:hostPort} (0: any free port). Fails with PORT_TAKEN when the
     * guest port is already published or the host port cannot be bound, ILLEGAL_STATE once the sandbox has ended.
     */
    public Future<PublishedPort> add(int guestPort, int hostPort) {
        synchronized (this) {
            if (closed) {
                return Future.failedFuture(ended());
            }
        }
        Optional<PublishedPort> existing = byGuestPort(guestPort);
        if (existing.isPresent()) {
            return Future.failedFuture(new DaemonException(ErrorCode.PORT_TAKEN, "guest port " + guestPort
                    + " of sandbox " + sandboxId + " is already published on " + existing.get().hostAddress() + ":"
                    + existing.get().hostPort() + "; remove it first (DELETE /v1/sandboxes/" + sandboxId + "/ports/"
                    + existing.get().hostPort() + ", paddock ports rm " + sandboxId + " "
                    + existing.get().hostPort() + ")", "guestPort", List.of()));
        }
        return publisher.publish(guestPort, hostPort).transform(ar -> {
            if (ar.failed()) {
                return Future.failedFuture(ar.cause() instanceof IllegalArgumentException
                        ? DaemonException.invalid("hostPort", ar.cause().getMessage())
                        : new DaemonException(ErrorCode.PORT_TAKEN, ar.cause().getMessage(), "hostPort", List.of()));
            }
            boolean lateForTheEnd;
            synchronized (this) {
                lateForTheEnd = closed;
            }
            if (lateForTheEnd) {
                return publisher.unpublish(guestPort).transform(x -> Future.failedFuture(ended()));
            }
            notPublished.remove(guestPort);
            return Future.succeededFuture(ar.result());
        });
    }

    /** Unpublishes the port published on {@code hostPort}; NOT_FOUND names what is published. */
    public Future<PublishedPort> remove(int hostPort) {
        Optional<PublishedPort> port = publisher.published().stream().filter(p -> p.hostPort() == hostPort)
                .findFirst();
        if (port.isEmpty()) {
            return Future.failedFuture(new DaemonException(ErrorCode.NOT_FOUND, "no port of sandbox " + sandboxId
                    + " is published on host port " + hostPort + "; published: " + describe(publisher.published())
                    + " (GET /v1/sandboxes/" + sandboxId + "/ports, paddock ports " + sandboxId + ")"));
        }
        return publisher.unpublish(port.get().guestPort()).map(port.get());
    }

    /** What is live now, by guest port. */
    public List<PublishedPort> published() {
        return publisher.published();
    }

    /**
     * Each requested port as it stands: live with its bound host port, or not published and why; then anything
     * live that was not requested.
     */
    public List<PortStatus> status(List<PortRequest> requested) {
        List<PublishedPort> live = new ArrayList<>(publisher.published());
        List<PortStatus> out = new ArrayList<>();
        for (PortRequest r : requested) {
            Optional<PublishedPort> pub = live.stream().filter(p -> p.guestPort() == r.guestPort()).findFirst();
            if (pub.isPresent()) {
                live.remove(pub.get());
                out.add(new PortStatus(r.guestPort(), pub.get().hostPort(), pub.get().hostAddress(), true, null));
            } else {
                out.add(new PortStatus(r.guestPort(), r.hostPort(), r.hostAddress(), false,
                        notPublished.getOrDefault(r.guestPort(), "not published (yet): the sandbox is still"
                                + " publishing its ports")));
            }
        }
        live.forEach(p -> out.add(new PortStatus(p.guestPort(), p.hostPort(), p.hostAddress(), true, null)));
        return out;
    }

    /** Unpublishes everything, for good (the sandbox ends). */
    public Future<Void> closeAll() {
        synchronized (this) {
            closed = true;
        }
        return publisher.closeAll();
    }

    private Optional<PublishedPort> byGuestPort(int guestPort) {
        return publisher.published().stream().filter(p -> p.guestPort() == guestPort).findFirst();
    }

    private DaemonException ended() {
        return new DaemonException(ErrorCode.ILLEGAL_STATE, "sandbox " + sandboxId + " has ended; its ports are"
                + " published again when it is started (POST /v1/sandboxes/" + sandboxId + "/start)");
    }

    private static String describe(List<PublishedPort> ports) {
        return ports.isEmpty() ? "none" : ports.stream().map(p -> p.hostAddress() + ":" + p.hostPort() + " -> guest "
                + p.guestPort()).toList().toString();
    }
}
