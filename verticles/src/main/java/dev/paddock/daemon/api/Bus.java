package dev.paddock.daemon.api;

import dev.paddock.daemon.bus.Replies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import java.time.Duration;

/** Request/reply to the daemon's verticles, with failures turned back into DaemonExceptions. */
final class Bus {
    private final Vertx vertx;
    private final DeliveryOptions quick;
    private final DeliveryOptions slow;

    /** @param slowTimeout for requests that wait on a boot or a stop */
    Bus(Vertx vertx, Duration slowTimeout) {
        this.vertx = vertx;
        // Local only: every address the API asks is this daemon's own verticle; in a cluster, a request for another
        // member's sandbox goes to that member's API (ClusterRoutes), never through a clustered send.
        this.quick = new DeliveryOptions().setSendTimeout(30_000).setLocalOnly(true);
        this.slow = new DeliveryOptions().setSendTimeout(slowTimeout.toMillis()).setLocalOnly(true);
    }

    <T> Future<T> request(String address, Object message) {
        return send(address, message, quick);
    }

    <T> Future<T> requestSlow(String address, Object message) {
        return send(address, message, slow);
    }

    private <T> Future<T> send(String address, Object message, DeliveryOptions options) {
        return vertx.eventBus().<T>request(address, message, options)
                .transform(ar -> ar.succeeded() ? Future.succeededFuture(ar.result().body())
                        : Future.failedFuture(Replies.toDaemonException(ar.cause(), address)));
    }
}
