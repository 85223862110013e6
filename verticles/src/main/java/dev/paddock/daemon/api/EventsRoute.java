package dev.paddock.daemon.api;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.messages.SandboxEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /v1/events}: the event bus's sandbox events as server-sent events, live only. A client that reads too
 * slowly loses events rather than growing the daemon's memory: while the response's write queue is full, events
 * are counted and dropped, and a comment says how many once it drains.
 */
final class EventsRoute {
    static final long KEEPALIVE_MS = 15_000;

    private final Vertx vertx;
    private final SandboxRoutes sandboxes;

    EventsRoute(Vertx vertx, SandboxRoutes sandboxes) {
        this.vertx = vertx;
        this.sandboxes = sandboxes;
    }

    void mount(Router router) {
        router.get("/v1/events").handler(this::events);
    }

    private void events(RoutingContext ctx) {
        String only = ctx.queryParams().get("sandbox");
        Future<String> address = only == null ? Future.succeededFuture(Addresses.EVENTS)
                : sandboxes.getRef(only).map(r -> Addresses.sandboxEvents(r.id()));
        address.onComplete(ar -> {
            if (ar.failed()) {
                ApiErrors.send(ctx, ar.cause());
                return;
            }
            stream(ctx.response(), ar.result());
        });
    }

    private void stream(HttpServerResponse response, String address) {
        Context here = vertx.getOrCreateContext();
        response.setChunked(true).setStatusCode(200)
                .putHeader("Content-Type", "text/event-stream")
                .putHeader("Cache-Control", "no-cache");
        response.write(": paddock events\n\n");
        long[] dropped = {0};
        MessageConsumer<SandboxEvent> consumer = vertx.eventBus().localConsumer(address, m -> here.runOnContext(v -> {
            if (response.ended()) {
                return;
            }
            if (response.writeQueueFull()) {
                dropped[0]++;
                return;
            }
            if (dropped[0] > 0) {
                response.write(": dropped " + dropped[0] + " events (the client read too slowly)\n\n");
                dropped[0] = 0;
            }
            SandboxEvent e = m.body();
            response.write("event: " + e.type() + "\ndata: " + e.toJson().encode() + "\n\n");
        }));
        long keepalive = vertx.setPeriodic(KEEPALIVE_MS, t -> {
            if (!response.ended() && !response.writeQueueFull()) {
                response.write(": keepalive\n\n");
            }
        });
        response.closeHandler(v -> {
            consumer.unregister();
            vertx.cancelTimer(keepalive);
        });
    }
}
