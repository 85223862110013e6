package dev.paddock.netpolicy.dns;

import io.netty.handler.codec.dns.DnsRecordType;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** Resolves names the policy allowed, on behalf of the DNS filter. */
public interface UpstreamResolver {
    /** Resolves {@code name} (canonical) for {@code type} A or AAAA; fails on timeout or transport error. */
    Future<UpstreamAnswer> resolve(String name, DnsRecordType type);

    /** Releases sockets. */
    Future<Void> close();

    /** Creates a resolver on the filter's own context when the filter starts, so both share its event loop. */
    @FunctionalInterface
    interface Factory {
        UpstreamResolver create(Vertx vertx, Context context);
    }
}
