package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.audit.AuditSink;
import dev.paddock.netpolicy.decision.EgressDecider;
import dev.paddock.netpolicy.dns.ResolvedNames;
import dev.paddock.netpolicy.dns.UpstreamResolver;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.transport.Transport;
import java.net.InetSocketAddress;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The egress proxy: every guest TCP connection is classified, decided by {@link EgressDecider} and spliced
 * upstream or denied, on this verticle's event loop (Netty on Vert.x's transport, like the DNS filter).
 *
 * <p>Entry points: {@link #accept} (the in-process hand-off, for the vsock bridge), the hand-off listener on
 * loopback ({@link HandoffPreamble}), and the explicit proxy listener for one sandbox (absolute-form HTTP and
 * CONNECT). See docs/egress.md.
 */
public final class EgressProxyVerticle extends VerticleBase implements EgressHandoff {
    private final EgressProxyOptions options;
    private final EgressDecider decider;
    private final ResolvedNames resolvedNames;
    private final AuditSink audit;
    private final SandboxInterception interception;
    private final UpstreamResolver.Factory resolverFactory;
    private final InstantSource clock;

    private ProxyContext px;
    private Channel handoffChannel;
    private Channel explicitChannel;

    public EgressProxyVerticle(EgressProxyOptions options, EgressDecider decider, ResolvedNames resolvedNames,
                               AuditSink audit, SandboxInterception interception,
                               UpstreamResolver.Factory resolverFactory, InstantSource clock) {
        this.options = Objects.requireNonNull(options, "options");
        this.decider = Objects.requireNonNull(decider, "decider");
        this.resolvedNames = Objects.requireNonNull(resolvedNames, "resolvedNames");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.interception = Objects.requireNonNull(interception, "interception");
        this.resolverFactory = Objects.requireNonNull(resolverFactory, "resolverFactory");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Future<?> start() {
        ContextInternal ctx = (ContextInternal) context;
        EventLoop loop = ctx.nettyEventLoop();
        Transport transport = ((VertxInternal) vertx).transport();
        // Reading the JDK trust store and building contexts is file I/O and CPU: off the event loop.
        return vertx.executeBlocking(() -> upstreamTls(options.extraTrust())).compose(tls -> {
            px = new ProxyContext(vertx, loop, transport, options, decider, resolvedNames, audit, interception, tls,
                    resolverFactory.create(vertx, context), clock);
            Future<Channel> handoff = options.handoffPort() < 0 ? Future.succeededFuture()
                    : bind(ctx, loop, transport, options.handoffPort(), new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(HandoffPreamble.NAME, new HandoffPreamble(EgressProxyVerticle.this::accept));
                        }
                    });
            Future<Channel> explicit = options.explicitPort() < 0 ? Future.succeededFuture()
                    : bind(ctx, loop, transport, options.explicitPort(), new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ProxySession s = session(options.explicitSandbox().orElseThrow(), null, ch);
                            ch.pipeline().addLast("http-codec", new HttpServerCodec());
                            ch.pipeline().addLast("http", new HttpExchange(s, HttpExchange.Mode.EXPLICIT));
                            ch.pipeline().addLast(Guard.NAME, new Guard(s));
                        }
                    });
            return Future.all(handoff, explicit).onSuccess(x -> {
                handoffChannel = handoff.result();
                explicitChannel = explicit.result();
            }).recover(err -> {
                if (handoff.succeeded() && handoff.result() != null) {
                    handoff.result().close();
                }
                if (explicit.succeeded() && explicit.result() != null) {
                    explicit.result().close();
                }
                return Future.failedFuture(new IllegalStateException("egress proxy cannot listen on "
                        + options.bindAddress().getHostAddress() + " (hand-off port " + options.handoffPort()
                        + ", explicit port " + options.explicitPort() + "): " + err.getMessage()
                        + "; pick free ports or 0 for ephemeral ones", err));
            });
        });
    }

    @Override
    public Future<?> stop() {
        List<Future<?>> closing = new ArrayList<>();
        for (Channel ch : new Channel[] {handoffChannel, explicitChannel}) {
            if (ch != null) {
                Promise<Void> p = Promise.promise();
                ch.close().addListener(f -> p.complete());
                closing.add(p.future());
            }
        }
        return Future.all(closing).compose(x -> px == null ? Future.succeededFuture() : px.resolver().close());
    }

    /** Takes over a guest connection (see {@link EgressHandoff}); may be called from any thread. */
    @Override
    public void accept(EgressConnection c) {
        Channel ch = c.guest();
        if (!ch.eventLoop().inEventLoop()) {
            ch.eventLoop().execute(() -> accept(c));
            return;
        }
        ProxySession s = session(c.sandboxId(), c.originalDestination(), ch);
        ch.pipeline().addLast("classifier", new Classifier(s));
        ch.pipeline().addLast(Guard.NAME, new Guard(s));
    }

    private ProxySession session(String sandbox, InetSocketAddress destination, Channel ch) {
        ByteCounter counter = new ByteCounter();
        if (ch.pipeline().get(HandoffPreamble.NAME) != null) {
            // Bytes that came in the same read as the preamble are passed on from its place: count them too.
            ch.pipeline().addAfter(HandoffPreamble.NAME, "counter", counter);
        } else {
            ch.pipeline().addFirst("counter", counter);
        }
        return new ProxySession(px, sandbox, destination, ch, counter);
    }

    /** The event loop hand-offs run on; a bridge registers guest channels here. */
    public EventLoop eventLoop() {
        return px.loop();
    }

    public int handoffPort() {
        return ((InetSocketAddress) handoffChannel.localAddress()).getPort();
    }

    public int explicitPort() {
        return ((InetSocketAddress) explicitChannel.localAddress()).getPort();
    }

    private Future<Channel> bind(ContextInternal ctx, EventLoop loop, Transport transport, int port,
                                 ChannelInitializer<Channel> init) {
        ServerBootstrap b = new ServerBootstrap()
                .group(loop, loop)
                .channelFactory(transport.serverChannelFactory(false))
                .childOption(io.netty.channel.ChannelOption.TCP_NODELAY, true)
                .childHandler(init);
        ChannelFuture cf = b.bind(new InetSocketAddress(options.bindAddress(), port));
        Promise<Channel> p = ctx.promise();
        cf.addListener(f -> {
            if (f.isSuccess()) {
                p.complete(cf.channel());
            } else {
                p.fail(f.cause());
            }
        });
        return p.future();
    }

    /** A client context trusting the JDK's default CAs plus {@code extra} (a test CA, a corporate CA). */
    static SslContext upstreamTls(List<X509Certificate> extra) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        List<X509Certificate> roots = new ArrayList<>(extra);
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                roots.addAll(List.of(x.getAcceptedIssuers()));
            }
        }
        return SslContextBuilder.forClient().trustManager(roots.toArray(X509Certificate[]::new)).build();
    }
}
