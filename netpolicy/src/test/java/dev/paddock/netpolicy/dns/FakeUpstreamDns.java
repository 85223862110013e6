package dev.paddock.netpolicy.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real authoritative-style DNS server on 127.0.0.1 (UDP, Netty's codec) with a fixed zone, standing in for the
 * host's resolver. It records every question it receives, so tests can prove denied names never reach it.
 */
final class FakeUpstreamDns implements AutoCloseable {
    record Entry(String cnameTarget, List<InetAddress> addresses, long ttl) { }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<String, Entry> zone = new ConcurrentHashMap<>();
    final List<String> questions = new CopyOnWriteArrayList<>();
    private final Channel channel;

    FakeUpstreamDns() throws InterruptedException {
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<NioDatagramChannel>() {
                    @Override
                    protected void initChannel(NioDatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery q) {
                                        ctx.writeAndFlush(answer(q));
                                    }
                                });
                    }
                }).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    FakeUpstreamDns a(String name, long ttl, String... addresses) {
        zone.put(name, new Entry(null, java.util.Arrays.stream(addresses).map(FakeUpstreamDns::literal).toList(), ttl));
        return this;
    }

    FakeUpstreamDns cname(String name, String target, long ttl) {
        zone.put(name, new Entry(target, List.of(), ttl));
        return this;
    }

    private DatagramDnsResponse answer(DatagramDnsQuery q) {
        DnsQuestion question = q.recordAt(DnsSection.QUESTION);
        String name = question.name().endsWith(".") ? question.name().substring(0, question.name().length() - 1)
                : question.name();
        questions.add(name + " " + question.type().name());
        DatagramDnsResponse r = new DatagramDnsResponse(q.recipient(), q.sender(), q.id());
        r.setRecursionAvailable(true);
        r.addRecord(DnsSection.QUESTION, question);
        String current = name;
        boolean found = false;
        for (int hops = 0; hops < 20 && zone.containsKey(current); hops++) {
            found = true;
            Entry e = zone.get(current);
            if (e.cnameTarget() != null) {
                r.addRecord(DnsSection.ANSWER, DnsAnswers.cname(current, e.cnameTarget(), e.ttl()));
                current = e.cnameTarget();
                continue;
            }
            for (InetAddress a : e.addresses()) {
                boolean v4 = a.getAddress().length == 4;
                if (question.type().equals(v4 ? DnsRecordType.A : DnsRecordType.AAAA)) {
                    r.addRecord(DnsSection.ANSWER, DnsAnswers.address(current, a.getAddress(), e.ttl()));
                }
            }
            break;
        }
        if (name.equals("also-adds-stray.example.com")) {
            // An upstream that appends a record for a name nobody asked about.
            r.addRecord(DnsSection.ANSWER, DnsAnswers.address("bank.example.net", new byte[] {9, 9, 9, 9}, 300));
        }
        r.setCode(found ? DnsResponseCode.NOERROR : DnsResponseCode.NXDOMAIN);
        return r;
    }

    private static InetAddress literal(String text) {
        return dev.paddock.netpolicy.address.IpAddresses.parseLiteral(text).orElseThrow();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
