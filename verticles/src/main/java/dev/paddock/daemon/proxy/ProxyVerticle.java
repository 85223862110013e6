package dev.paddock.daemon.proxy;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.messages.ProxyMessages.PortList;
import dev.paddock.daemon.messages.ProxyMessages.PortStatus;
import dev.paddock.daemon.messages.ProxyMessages.PortsQuery;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * The per-sandbox proxies: published ports and the sandbox's docker.sock on the host. Both are built on the guest
 * agent's stream open by vsock-proxy's port publisher (issue 6); until that lands on main this verticle publishes
 * nothing and says so: every requested port is reported {@code not-published} with the reason, and the request
 * stays recorded in the sandbox's record, to apply when the publisher exists. Nothing pretends to listen.
 */
public final class ProxyVerticle extends VerticleBase {
    /** Why no port is live yet; shown to users in GET /v1/sandboxes/{s}/ports and `paddock ports`. */
    public static final String NOT_PUBLISHED = "not published: this daemon has no port publisher yet (vsock-proxy's"
            + " port publishing, issue 6); the request is recorded and applies once it lands";

    @Override
    public Future<?> start() {
        vertx.eventBus().<PortsQuery>consumer(Addresses.PORTS_GET, m -> m.reply(new PortList(
                m.body().sandbox().spec().ports().stream()
                        .map(p -> new PortStatus(p.guestPort(), p.hostPort(), p.hostAddress(), false, NOT_PUBLISHED))
                        .toList())));
        return Future.succeededFuture();
    }
}
