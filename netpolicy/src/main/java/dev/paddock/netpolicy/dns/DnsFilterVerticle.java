package dev.paddock.netpolicy.dns;

import dev.paddock.netpolicy.audit.AuditSink;
import dev.paddock.netpolicy.decision.EgressDecider;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DnsRecordDecoder;
import io.netty.handler.codec.dns.TcpDnsQueryDecoder;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.transport.Transport;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * One sandbox's DNS server: UDP and TCP on loopback, decoded and encoded by Netty's DNS codec, running on this
 * verticle's event loop (Vert.x's own transport), answering through {@link DnsQueryHandler}. The guest agent's
 * DNS stub reaches it over vsock; the vsock bridge connects to {@link #udpPort()} / {@link #tcpPort()}.
 */
public final class DnsFilterVerticle extends VerticleBase {
    // RFC 1035 §4.2.2: TCP messages carry a 2-octet length, so 65535 is the protocol's own bound.
    // GUEST-CONTROLLED: the TCP length prefix. A query is a header and one question; 4096 octets is generous.
    static final int MAX_TCP_MESSAGE = 4096;

    private final String sandboxId;
    private final DnsFilterOptions options;
    private final EgressDecider decider;
    private final ResolvedNames resolvedNames;
    private final AuditSink audit;
    private final UpstreamResolver.Factory upstreamFactory;
    private final InstantSource clock;

    private UpstreamResolver upstream;
    private Channel udpChannel;
    private Channel tcpChannel;

    public DnsFilterVerticle(String sandboxId, DnsFilterOptions options, EgressDecider decider,
                             ResolvedNames resolvedNames, AuditSink audit, UpstreamResolver.Factory upstreamFactory,
                             InstantSource clock) {
        this.sandboxId = Objects.requireNonNull(sandboxId, "sandboxId");
        this.options = Objects.requireNonNull(options, "options");
        this.decider = Objects.requireNonNull(decider, "decider");
        this.resolvedNames = Objects.requireNonNull(resolvedNames, "resolvedNames");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.upstreamFactory = Objects.requireNonNull(upstreamFactory, "upstreamFactory");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Future<?> start() {
        ContextInternal ctx = (ContextInternal) context;
        EventLoop loop = ctx.nettyEventLoop();
        Transport transport = ((VertxInternal) vertx).transport();
        upstream = upstreamFactory.create(vertx, context);

        Bootstrap udp = new Bootstrap()
                .group(loop)
                .channelFactory(transport::datagramChannel)
                // One octet more than the largest datagram accepted: a longer one arrives cut to this size, and
                // the guard sees it is too long instead of decoding a silently truncated prefix.
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(UdpQueryGuard.MAX_DATAGRAM + 1))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        QueryHeader header = new QueryHeader();
                        ch.pipeline().addLast(
                                new DatagramDnsResponseEncoder(),
                                new UdpQueryGuard(header),
                                new DatagramDnsQueryDecoder(DnsRecordDecoder.DEFAULT),
                                new DnsQueryHandler(sandboxId, true, header, decider, upstream, resolvedNames, audit, clock));
                    }
                });
        ServerBootstrap tcp = new ServerBootstrap()
                .group(loop, loop)
                .channelFactory(transport.serverChannelFactory(false))
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        QueryHeader header = new QueryHeader();
                        long idle = options.tcpIdleTimeout().toMillis();
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS),
                                new TcpDnsResponseEncoder(),
                                // One whole length-prefixed message at a time, prefix kept for the DNS decoder.
                                new LengthFieldBasedFrameDecoder(2 + MAX_TCP_MESSAGE, 0, 2, 0, 0),
                                new TcpQueryGuard(header),
                                new TcpDnsQueryDecoder(DnsRecordDecoder.DEFAULT, 2 + MAX_TCP_MESSAGE),
                                new DnsQueryHandler(sandboxId, false, header, decider, upstream, resolvedNames, audit, clock));
                    }
                });

        Future<Channel> udpBound = bound(ctx, udp.bind(new InetSocketAddress(options.bindAddress(), options.port())));
        Future<Channel> tcpBound = bound(ctx, tcp.bind(new InetSocketAddress(options.bindAddress(), options.port())));
        return Future.all(udpBound, tcpBound).onSuccess(all -> {
            udpChannel = udpBound.result();
            tcpChannel = tcpBound.result();
        }).recover(err -> {
            // One socket bound and the other did not: release it, then report which address was the problem.
            if (udpBound.succeeded()) {
                udpBound.result().close();
            }
            if (tcpBound.succeeded()) {
                tcpBound.result().close();
            }
            return upstream.close().transform(x -> Future.failedFuture(new IllegalStateException(
                    "DNS filter for sandbox " + sandboxId + " cannot listen on " + options.bindAddress().getHostAddress()
                            + ":" + options.port() + " (UDP and TCP): " + err.getMessage()
                            + "; pick a free port or 0 for an ephemeral one", err)));
        });
    }

    @Override
    public Future<?> stop() {
        ContextInternal ctx = (ContextInternal) context;
        Future<Void> u = udpChannel == null ? Future.succeededFuture() : closed(ctx, udpChannel.close());
        Future<Void> t = tcpChannel == null ? Future.succeededFuture() : closed(ctx, tcpChannel.close());
        return Future.all(u, t).compose(x -> upstream.close());
    }

    /** The UDP port bound (the ephemeral one when the options said 0). */
    public int udpPort() {
        return ((InetSocketAddress) udpChannel.localAddress()).getPort();
    }

    /** The TCP port bound (the ephemeral one when the options said 0). */
    public int tcpPort() {
        return ((InetSocketAddress) tcpChannel.localAddress()).getPort();
    }

    private static Future<Channel> bound(ContextInternal ctx, ChannelFuture f) {
        Promise<Channel> p = ctx.promise();
        f.addListener(x -> {
            if (f.isSuccess()) {
                p.complete(f.channel());
            } else {
                p.fail(f.cause());
            }
        });
        return p.future();
    }

    private static Future<Void> closed(ContextInternal ctx, ChannelFuture f) {
        Promise<Void> p = ctx.promise();
        f.addListener(x -> p.complete());
        return p.future();
    }
}
