package dev.paddock.netpolicy.dns;

import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.netpolicy.name.DomainName;
import io.netty.buffer.ByteBuf;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.DnsServerAddressStreamProvider;
import io.netty.resolver.dns.DnsServerAddressStreamProviders;
import io.netty.resolver.dns.NoopDnsCache;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.transport.Transport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The upstream resolver on Netty's {@link DnsNameResolver}, running on the filter's event loop with Vert.x's
 * transport. It asks the raw question (no search domains, no cache of its own, TCP fallback on truncation) and
 * keeps the answer's TTLs and CNAME chain, which {@link ResolvedNames} needs and Vert.x's {@code DnsClient}
 * does not expose.
 */
public final class NettyUpstreamResolver implements UpstreamResolver {
    /** RFC 1034 §3.6.2 allows chains; real ones are short. A longer chain is treated as a loop. */
    static final int MAX_CNAME_HOPS = 16;

    private final DnsNameResolver resolver;
    private final ContextInternal context;

    private NettyUpstreamResolver(Vertx vertx, Context context, DnsServerAddressStreamProvider servers,
                                  Duration timeout) {
        this.context = (ContextInternal) context;
        Transport transport = ((VertxInternal) vertx).transport();
        ChannelFactory<? extends io.netty.channel.Channel> tcp = transport.channelFactory(false);
        this.resolver = new DnsNameResolverBuilder(this.context.nettyEventLoop())
                .datagramChannelFactory(transport::datagramChannel)
                .socketChannelFactory(() -> (SocketChannel) tcp.newChannel(), true)
                .nameServerProvider(servers)
                .queryTimeoutMillis(timeout.toMillis())
                .recursionDesired(true)
                .resolveCache(NoopDnsCache.INSTANCE)
                .build();
    }

    /** The host's resolvers, from /etc/resolv.conf (Netty's platform default provider). */
    public static UpstreamResolver.Factory hostResolvers(Duration timeout) {
        return (vertx, context) -> new NettyUpstreamResolver(vertx, context,
                DnsServerAddressStreamProviders.platformDefault(), timeout);
    }

    /** One fixed server, for tests and for operators who pin the upstream. */
    public static UpstreamResolver.Factory server(InetSocketAddress server, Duration timeout) {
        return (vertx, context) -> new NettyUpstreamResolver(vertx, context,
                new SingletonDnsServerAddressStreamProvider(server), timeout);
    }

    @Override
    public Future<UpstreamAnswer> resolve(String name, DnsRecordType type) {
        Promise<UpstreamAnswer> promise = context.promise();
        resolver.query(new DefaultDnsQuestion(name, type)).addListener(f -> {
            if (!f.isSuccess()) {
                promise.fail(f.cause());
                return;
            }
            @SuppressWarnings("unchecked")
            AddressedEnvelope<DnsResponse, InetSocketAddress> envelope =
                    (AddressedEnvelope<DnsResponse, InetSocketAddress>) f.getNow();
            try {
                promise.complete(reduce(name, type, envelope.content()));
            } catch (RuntimeException e) {
                promise.fail(e);
            } finally {
                envelope.release();
            }
        });
        return promise.future();
    }

    /** The chain from {@code asked} and the addresses at its end; everything else in the answer is dropped. */
    static UpstreamAnswer reduce(String asked, DnsRecordType type, DnsResponse response) {
        Map<String, UpstreamAnswer.Cname> cnames = new HashMap<>();
        Map<String, List<UpstreamAnswer.Address>> addresses = new HashMap<>();
        int count = response.count(DnsSection.ANSWER);
        for (int i = 0; i < count; i++) {
            DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
            if (!(r instanceof DnsRawRecord raw)) {
                continue;
            }
            Optional<DomainName> owner = DomainName.parse(r.name());
            if (owner.isEmpty()) {
                continue;
            }
            ByteBuf content = raw.content();
            if (r.type().equals(DnsRecordType.CNAME)) {
                Optional<DomainName> target = DomainName.parse(DefaultDnsRecordDecoder.decodeName(content.duplicate()));
                target.ifPresent(t -> cnames.putIfAbsent(owner.get().value(),
                        new UpstreamAnswer.Cname(owner.get().value(), t.value(), r.timeToLive())));
            } else if (r.type().equals(type) && content.readableBytes() == (type.equals(DnsRecordType.A) ? 4 : 16)) {
                byte[] bytes = new byte[content.readableBytes()];
                content.getBytes(content.readerIndex(), bytes);
                InetAddress a = IpAddresses.byAddress(bytes);
                addresses.computeIfAbsent(owner.get().value(), k -> new ArrayList<>())
                        .add(new UpstreamAnswer.Address(owner.get().value(), a, r.timeToLive()));
            }
        }
        List<UpstreamAnswer.Cname> chain = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        String current = DomainName.canonicalize(asked);
        seen.add(current);
        while (cnames.containsKey(current) && chain.size() < MAX_CNAME_HOPS) {
            UpstreamAnswer.Cname link = cnames.get(current);
            if (!seen.add(link.target())) {
                break; // a loop: stop at the first repeat
            }
            chain.add(link);
            current = link.target();
        }
        return new UpstreamAnswer(response.code(), chain, addresses.getOrDefault(current, List.of()));
    }

    @Override
    public Future<Void> close() {
        Promise<Void> promise = context.promise();
        context.nettyEventLoop().execute(() -> {
            resolver.close();
            promise.complete();
        });
        return promise.future();
    }
}
