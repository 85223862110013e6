package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.decision.EgressDecision;
import dev.paddock.netpolicy.decision.ReasonCode;
import dev.paddock.netpolicy.name.DomainName;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.AbstractSniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.Optional;

/**
 * Reads the TLS ClientHello without answering it (Netty's {@link AbstractSniHandler} reassembles a hello split
 * across records and writes), takes its SNI (RFC 6066 §3), and decides. Then:
 * <ul>
 *   <li>denied, or no usable SNI where one is needed: TCP reset (the guest never sees a certificate);</li>
 *   <li>allowed, and the host needs its requests read (method/path rules, or a secret bound to it): intercepted
 *       with a leaf of the sandbox's CA, then {@link HttpExchange} per request;</li>
 *   <li>allowed otherwise: the hello is replayed upstream and the connection spliced ({@link TcpTunnel}).</li>
 * </ul>
 */
final class TlsInspector extends AbstractSniHandler<TlsInspector.Plan> {
    // GUEST-CONTROLLED: the ClientHello length. Real hellos (post-quantum key shares included) are under 4 KiB.
    static final int MAX_CLIENT_HELLO = 16 * 1024;
    // GUEST-CONTROLLED: how long the guest may take to finish sending its hello.
    static final long HELLO_TIMEOUT_MILLIS = 10_000;

    record Plan(EgressDecision decision, Optional<SslContext> leaf) { }

    private final ProxySession session;

    TlsInspector(ProxySession session) {
        super(MAX_CLIENT_HELLO, HELLO_TIMEOUT_MILLIS);
        this.session = session;
    }

    @Override
    protected Future<Plan> lookup(ChannelHandlerContext ctx, String hostname) {
        Promise<Plan> plan = ctx.executor().newPromise();
        Optional<String> sni = Optional.ofNullable(hostname);
        EgressDecision d = session.decide(sni, session.connectHost, Optional.empty());
        if (!d.allowed()) {
            return plan.setSuccess(new Plan(d, Optional.empty()));
        }
        Optional<DomainName> name = sni.flatMap(DomainName::parse);
        Optional<SandboxInterception.Material> material = session.px.interception().get(session.sandbox);
        boolean secretsBound = name.isPresent() && material.isPresent()
                && material.get().secrets().get().anyBoundTo(name.get());
        if (!d.inspectHttp() && !secretsBound) {
            return plan.setSuccess(new Plan(d, Optional.empty()));
        }
        if (name.isEmpty() || material.isEmpty()) {
            return plan.setSuccess(new Plan(ProxySession.protocolDenial(ReasonCode.DENIED_BY_RULE,
                    "interception:unavailable", d.ruleId() + " allows only some requests, which needs TLS"
                            + " interception, but " + (name.isEmpty() ? "the ClientHello named no server (SNI)"
                            : "this sandbox has no egress CA registered")), Optional.empty()));
        }
        String host = name.get().value();
        Optional<SslContext> cached = material.get().leaves().cached(host);
        if (cached.isPresent()) {
            return plan.setSuccess(new Plan(d, cached));
        }
        // Minting signs a certificate: CPU work kept off the event loop.
        session.px.vertx().<SslContext>executeBlocking(() -> material.get().leaves().mint(host), false)
                .onComplete(r -> ctx.executor().execute(() -> {
                    if (r.succeeded()) {
                        plan.trySuccess(new Plan(d, Optional.of(r.result())));
                    } else {
                        plan.tryFailure(r.cause());
                    }
                }));
        return plan;
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<Plan> future) {
        ctx.pipeline().get(Guard.class).decided = true;
        if (!future.isSuccess()) {
            session.denyWithReset(hostname, null, ProxySession.protocolDenial(ReasonCode.DENIED_BY_RULE,
                    "interception:failed", "could not mint a certificate for " + hostname + ": "
                            + future.cause().getMessage()));
            return;
        }
        Plan plan = future.getNow();
        String host = session.connectHost.orElse(null);
        if (!plan.decision().allowed()) {
            session.denyWithReset(hostname, host, plan.decision());
            return;
        }
        if (plan.leaf().isEmpty()) {
            ctx.pipeline().replace(this, "tcp", new TcpTunnel(session, plan.decision(), hostname));
            return;
        }
        io.netty.handler.ssl.SslHandler server = plan.leaf().get().newHandler(ctx.alloc());
        server.setHandshakeTimeoutMillis(ProxySession.TLS_HANDSHAKE_TIMEOUT.toMillis());
        ctx.pipeline().addAfter(ctx.name(), "tls-server", server);
        ctx.pipeline().addAfter("tls-server", "http-codec", new HttpServerCodec());
        ctx.pipeline().addAfter("http-codec", "http",
                new HttpExchange(session, HttpExchange.Mode.INTERCEPTED, Optional.of(hostname)));
        // Removing this decoder passes the buffered ClientHello on to the TLS server handler.
        ctx.pipeline().remove(this);
    }
}
