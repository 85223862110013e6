package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.netpolicy.audit.AuditEvent;
import dev.paddock.netpolicy.decision.EgressDecision;
import dev.paddock.netpolicy.decision.EgressRequest;
import dev.paddock.netpolicy.decision.ReasonCode;
import dev.paddock.netpolicy.decision.Verdict;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/** One guest connection's state: who, where to, what was decided, and its upstream. Event-loop confined. */
final class ProxySession {
    /**
     * How long a TLS handshake of the proxy's may take, upstream and with the guest (Netty's default is 10 s). The
     * first handshakes of a cold JVM under the emulated accelerator took longer than 10 s, and the guest's curl then
     * saw its connection closed mid-handshake.
     */
    static final java.time.Duration TLS_HANDSHAKE_TIMEOUT = java.time.Duration.ofSeconds(30);

    final ProxyContext px;
    final String sandbox;
    final Channel guest;
    final ByteCounter counter;
    /** The original destination; for the explicit listener, set once the request names and resolves one. */
    InetSocketAddress destination;
    /** The authority a CONNECT named, which a tunnelled SNI or Host must match. */
    Optional<String> connectHost = Optional.empty();

    ProxySession(ProxyContext px, String sandbox, InetSocketAddress destination, Channel guest, ByteCounter counter) {
        this.px = px;
        this.sandbox = sandbox;
        this.destination = destination;
        this.guest = guest;
        this.counter = counter;
    }

    EgressDecision decide(Optional<String> sni, Optional<String> host, Optional<EgressRequest.RequestLine> line) {
        return px.decider().decide(new EgressRequest(sandbox, destination.getAddress(), destination.getPort(), sni,
                host, line, px.resolvedNames().namesFor(sandbox, destination.getAddress())));
    }

    String destinationText() {
        if (destination == null) {
            return "-";
        }
        String a = IpAddresses.toText(destination.getAddress());
        return (a.indexOf(':') >= 0 ? "[" + a + "]" : a) + ":" + destination.getPort();
    }

    void audit(String channel, String sni, String host, EgressDecision d, long up, long down, String detail) {
        px.audit().record(AuditEvent.connection(px.clock().instant(), sandbox, channel, destinationText(), sni, host,
                d, up, down, detail));
    }

    /** Denies a connection that carries no HTTP we could answer: audit now, then TCP reset. */
    void denyWithReset(String sni, String host, EgressDecision d) {
        audit("tcp", sni, host, d, 0, 0, "reset");
        Denials.reset(guest);
    }

    /** A denial that no policy rule made: a malformed ClientHello, a timeout, an upstream failure. */
    static EgressDecision protocolDenial(ReasonCode reason, String ruleId, String text) {
        return new EgressDecision(Verdict.DENY, reason, ruleId, text, false, 0);
    }

    /**
     * Connects upstream to the (routed) destination on the proxy's loop. {@code tlsName} present: a TLS client
     * handshake for that name, verified against the JDK trust store plus the extra CAs, with SNI and hostname
     * verification. {@code pipeline} adds the handlers after TLS.
     */
    io.netty.util.concurrent.Future<Channel> connectUpstream(Optional<String> tlsName, Consumer<Channel> pipeline) {
        Promise<Channel> done = guest.eventLoop().newPromise();
        InetSocketAddress target = px.options().dialRoute().apply(destination);
        Bootstrap b = new Bootstrap()
                .group(guest.eventLoop())
                .channelFactory(px.transport().channelFactory(false))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) px.options().connectTimeout().toMillis())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tlsName.isPresent()) {
                            SslHandler tls = px.upstreamTls().newHandler(ch.alloc(), tlsName.get(), destination.getPort());
                            tls.setHandshakeTimeoutMillis(TLS_HANDSHAKE_TIMEOUT.toMillis());
                            SSLEngine engine = tls.engine();
                            SSLParameters params = engine.getSSLParameters();
                            params.setEndpointIdentificationAlgorithm("HTTPS");
                            engine.setSSLParameters(params);
                            ch.pipeline().addLast("tls", tls);
                        }
                        pipeline.accept(ch);
                    }
                });
        ChannelFuture cf = b.connect(target);
        cf.addListener(f -> {
            if (!f.isSuccess()) {
                done.tryFailure(f.cause());
                return;
            }
            Channel ch = cf.channel();
            guest.closeFuture().addListener(x -> ch.close());
            if (tlsName.isEmpty()) {
                done.trySuccess(ch);
                return;
            }
            ch.read(); // the handshake needs reads while AUTO_READ is off
            ch.pipeline().get(SslHandler.class).handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    done.trySuccess(ch);
                } else {
                    ch.close();
                    done.tryFailure(h.cause());
                }
            });
        });
        return done;
    }

    /** Marker for handler types added with {@code addBefore("guard", ...)}. */
    static void addBeforeGuard(Channel ch, String name, ChannelHandler h) {
        ch.pipeline().addBefore(Guard.NAME, name, h);
    }
}
