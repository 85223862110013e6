package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.audit.AuditSink;
import dev.paddock.netpolicy.decision.EgressDecider;
import dev.paddock.netpolicy.dns.ResolvedNames;
import dev.paddock.netpolicy.dns.UpstreamResolver;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.vertx.core.Vertx;
import io.vertx.core.spi.transport.Transport;
import java.time.InstantSource;

/** What every connection handler of one proxy verticle shares. Immutable after the verticle starts. */
record ProxyContext(Vertx vertx, EventLoop loop, Transport transport, EgressProxyOptions options,
                    EgressDecider decider, ResolvedNames resolvedNames, AuditSink audit,
                    SandboxInterception interception, SslContext upstreamTls, UpstreamResolver resolver,
                    InstantSource clock) {
}
