package dev.paddock.daemon.driver.microvm;

import dev.paddock.netpolicy.ca.CertificateMinter;
import dev.paddock.netpolicy.ca.Pem;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
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
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The outside world of an in-sandbox egress IT, all on the host's loopback: HTTPS upstreams with certificates
 * from the test's own CA, and a DNS server with a fixed zone of public test addresses. {@link #install} points
 * the daemon's egress at them through the system properties the daemon reads ({@code paddock.egress.dnsServer},
 * {@code .dialRoute} from each public address to its loopback server, {@code .extraCa} to trust the test CA);
 * {@link #close} clears them. Every address of the helper VM is host-protected, so nothing else can be reached.
 */
final class EgressTestNet implements AutoCloseable {
    /** SSL set-up under TCG takes tens of seconds (the first run timed out at 10 s). */
    private static final int HANDSHAKE_S = 170;
    private static final long LISTEN_S = 180;

    private final Vertx vertx;
    private final EventLoopGroup dnsGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final KeyPair caKeys = CertificateMinter.newKeyPair();
    private final X509Certificate ca;
    private final Path caFile;

    EgressTestNet(Vertx vertx, Path work) throws Exception {
        this.vertx = vertx;
        Instant now = Instant.now();
        this.ca = CertificateMinter.selfSignedCa("egress IT upstream CA", caKeys, now.minusSeconds(3600),
                now.plusSeconds(86400));
        this.caFile = work.resolve("upstream-ca.pem");
        Files.writeString(caFile, Pem.certificate(ca));
    }

    /**
     * An HTTPS server on loopback for {@code name}, its certificate issued by the test CA; returns once one
     * handshake from this JVM went through: under the emulated accelerator a cold JVM's first TLS handshakes take
     * tens of seconds, on the test server's side as well as the proxy's.
     */
    HttpServer https(String name, Handler<HttpServerRequest> handler) throws Exception {
        Instant now = Instant.now();
        KeyPair leafKeys = CertificateMinter.newKeyPair();
        X509Certificate leaf = CertificateMinter.serverLeaf(name, leafKeys, ca, caKeys.getPrivate(),
                now.minusSeconds(3600), now.plusSeconds(86400));
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setSslHandshakeTimeout(HANDSHAKE_S)
                        .setKeyCertOptions(new PemKeyCertOptions()
                                .setKeyValue(Buffer.buffer(Pem.privateKey(leafKeys.getPrivate())))
                                .setCertValue(Buffer.buffer(Pem.certificate(leaf)))))
                .requestHandler(handler);
        server.listen(0, "127.0.0.1").await(LISTEN_S, TimeUnit.SECONDS);
        HttpClient warm = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(false)
                .setSslHandshakeTimeout(HANDSHAKE_S)
                .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(Pem.certificate(ca)))));
        try {
            // body() inside send's callback, so it is asked before the response can end (see TestRegistryTest)
            warm.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/").compose(r -> r.send()
                    .compose(resp -> resp.body())).await(LISTEN_S, TimeUnit.SECONDS);
        } finally {
            warm.close();
        }
        return server;
    }

    /**
     * Points the daemon's egress at this net: DNS answers from {@code zone} (name -> public test address,
     * NXDOMAIN otherwise), and each {@code "address:port"} of {@code routes} dialled at the loopback port given.
     */
    void install(Map<String, String> zone, Map<String, Integer> routes) throws Exception {
        Channel dns = testDns(dnsGroup, zone);
        System.setProperty("paddock.egress.dnsServer", "127.0.0.1:" + ((InetSocketAddress) dns.localAddress()).getPort());
        System.setProperty("paddock.egress.dialRoute", routes.entrySet().stream()
                .map(e -> e.getKey() + "=127.0.0.1:" + e.getValue()).collect(Collectors.joining(",")));
        System.setProperty("paddock.egress.extraCa", caFile.toString());
    }

    @Override
    public void close() {
        System.clearProperty("paddock.egress.dnsServer");
        System.clearProperty("paddock.egress.dialRoute");
        System.clearProperty("paddock.egress.extraCa");
        dnsGroup.shutdownGracefully();
    }

    /** A DNS server on loopback UDP answering A queries from a fixed zone, NXDOMAIN otherwise. */
    private static Channel testDns(EventLoopGroup group, Map<String, String> zone) throws Exception {
        return new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<NioDatagramChannel>() {
                    @Override
                    protected void initChannel(NioDatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery q) throws Exception {
                                        DnsQuestion question = q.recordAt(DnsSection.QUESTION);
                                        String name = question.name().replaceAll("\\.$", "");
                                        DatagramDnsResponse r = new DatagramDnsResponse(q.recipient(), q.sender(), q.id());
                                        r.addRecord(DnsSection.QUESTION, question);
                                        String ip = zone.get(name);
                                        if (ip == null) {
                                            r.setCode(DnsResponseCode.NXDOMAIN);
                                        } else if (question.type() == DnsRecordType.A) {
                                            r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(),
                                                    DnsRecordType.A, 300, Unpooled.wrappedBuffer(
                                                            InetAddress.getByName(ip).getAddress())));
                                        }
                                        ctx.writeAndFlush(r);
                                    }
                                });
                    }
                }).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }
}
