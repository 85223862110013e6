package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.api.ApiClient;
import dev.paddock.netpolicy.ca.CertificateMinter;
import dev.paddock.netpolicy.ca.Pem;
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
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.buffer.Unpooled;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 7's "done when" inside a real sandbox (microvm driver): the guest has no NIC; its curl goes through the
 * agent's redirect, vsock, the daemon's bridge and netpolicy's proxy. Upstreams are loopback servers behind public
 * test addresses (netpolicy's dial route), with names from a test DNS server (every address of the helper VM is
 * host-protected, so nothing else could be reached).
 */
class EgressInSandboxIT {
    private static final String ALLOWED = "allowed.test";
    private static final String ALLOWED_IP = "203.0.113.10";
    private static final String DENIED = "denied.test";
    private static final String DENIED_IP = "203.0.113.11";
    private static final String SECRET_VALUE = "s3cr3t-" + Long.toHexString(System.nanoTime());

    @Test
    void curlAllowedDeniedAndASecretThatStaysOnTheHost() throws Exception {
        Vertx side = Vertx.vertx();
        EventLoopGroup dnsGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Path work = Files.createTempDirectory("egress-it");
        try {
            // An HTTPS upstream with its own test CA, echoing the Authorization header it got.
            Instant now = Instant.now();
            KeyPair caKeys = CertificateMinter.newKeyPair();
            X509Certificate testCa = CertificateMinter.selfSignedCa("egress IT upstream CA", caKeys,
                    now.minusSeconds(3600), now.plusSeconds(86400));
            KeyPair leafKeys = CertificateMinter.newKeyPair();
            X509Certificate leaf = CertificateMinter.serverLeaf(ALLOWED, leafKeys, testCa, caKeys.getPrivate(),
                    now.minusSeconds(3600), now.plusSeconds(86400));
            HttpServer https = side.createHttpServer(new HttpServerOptions().setSsl(true).setSslHandshakeTimeout(170)
                    .setKeyCertOptions(
                    new PemKeyCertOptions().setKeyValue(Buffer.buffer(Pem.privateKey(leafKeys.getPrivate())))
                            .setCertValue(Buffer.buffer(Pem.certificate(leaf)))))
                    .requestHandler(r -> r.response().end("upstream saw auth=[" + r.getHeader("Authorization") + "]\n"));
            // SSL set-up under TCG takes tens of seconds (the first run timed out at 10 s here)
            https.listen(0, "127.0.0.1").await(180, TimeUnit.SECONDS);
            Path caFile = work.resolve("upstream-ca.pem");
            Files.writeString(caFile, Pem.certificate(testCa));
            // One handshake with the upstream first, from this JVM: under the emulated accelerator a cold JVM's
            // first TLS handshakes take tens of seconds, on the test server's side as well as the proxy's.
            io.vertx.core.http.HttpClient warm = side.createHttpClient(new io.vertx.core.http.HttpClientOptions()
                    .setSsl(true).setVerifyHost(false).setSslHandshakeTimeout(170).setTrustOptions(new io.vertx.core.net.PemTrustOptions()
                            .addCertValue(Buffer.buffer(Pem.certificate(testCa)))));
            warm.request(HttpMethod.GET, https.actualPort(), "127.0.0.1", "/").compose(r -> r.send())
                    .compose(r -> r.body()).await(180, TimeUnit.SECONDS);
            warm.close();
            Channel dns = testDns(dnsGroup, Map.of(ALLOWED, ALLOWED_IP, DENIED, DENIED_IP));

            System.setProperty("paddock.egress.dnsServer", "127.0.0.1:" + ((InetSocketAddress) dns.localAddress()).getPort());
            System.setProperty("paddock.egress.dialRoute", ALLOWED_IP + ":443=127.0.0.1:" + https.actualPort()
                    + "," + DENIED_IP + ":80=127.0.0.1:" + https.actualPort());
            System.setProperty("paddock.egress.extraCa", caFile.toString());

            try (VmItSupport it = VmItSupport.start("pd-eg")) {
                ApiClient.Response secret = it.api.put("/v1/secrets/testtoken", new JsonObject().put("value", SECRET_VALUE)
                        .put("hosts", new JsonArray().add(ALLOWED))
                        .put("inject", new JsonObject().put("header", "Authorization").put("format", "Bearer {value}")));
                assertThat(secret.status()).as(secret.toString()).isEqualTo(200);
                ApiClient.Response created = it.slow(HttpMethod.POST, "/v1/sandboxes?wait=true", new JsonObject()
                        .put("name", "egit").put("memoryMib", 1024).put("diskGib", 2)
                        .put("secrets", new JsonArray().add("testtoken"))
                        .put("policy", new JsonObject().put("default", "deny").put("rules", new JsonArray()
                                .add(new JsonObject().put("action", "allow").put("domain", ALLOWED)
                                        .put("ports", new JsonArray().add(443))))));
                String id = created.status() == 201 ? created.json().getString("id") : null;
                assertThat(created.status()).as("create: %s; console:%n%s", created,
                        id != null ? it.consoleLog(id) : "(no id)").isEqualTo(201);
                assertThat(it.consoleLog(id)).as("the agent's egress set-up").contains("egress on");

                // env shows the placeholder only
                ApiClient.Response env = it.api.exec(id, "env");
                assertThat(env.output("stdout")).contains("PADDOCK_SECRET_TESTTOKEN=paddock-secret:testtoken")
                        .doesNotContain(SECRET_VALUE);

                // denied: the name does not resolve (NXDOMAIN); pinned to an address, plain HTTP gets the 403
                ApiClient.Response nx = it.api.exec(id, "sh", "-c", "curl -sS --max-time 30 https://" + DENIED + "/");
                assertThat(nx.last().getInteger("code")).as(nx.toString()).isNotZero();
                assertThat(nx.output("stderr")).contains("Could not resolve host");
                ApiClient.Response denied = it.api.exec(id, "sh", "-c", "curl -sS --max-time 30 -i --resolve "
                        + DENIED + ":80:" + DENIED_IP + " http://" + DENIED + "/");
                Path auditSoFar = it.state.resolve("egress-audit.jsonl");
                assertThat(denied.output("stdout")).as("%s%nstderr: %s%naudit:%n%s", denied, denied.output("stderr"),
                        Files.exists(auditSoFar) ? Files.readString(auditSoFar) : "(none)").startsWith("HTTP/1.1 403")
                        .contains("Paddock egress: denied by");
                // allowed HTTPS: resolved through the filter, intercepted with the sandbox CA (the guest trusts it),
                // the placeholder swapped for the value on the way out
                ApiClient.Response ok = it.api.exec(id, "sh", "-c",
                        "curl -sS --max-time 60 -H \"Authorization: Bearer $PADDOCK_SECRET_TESTTOKEN\" https://" + ALLOWED + "/");
                Path auditFile = it.state.resolve("egress-audit.jsonl");
                if (ok.last().getInteger("code") != 0) {
                    ApiClient.Response verbose = it.api.exec(id, "sh", "-c", "curl -v --max-time 60 https://" + ALLOWED
                            + "/ 2>&1 | tail -n 25");
                    assertThat(ok.last().getInteger("code")).as("%s%ncurl -v:%n%s%nconsole:%n%s%naudit:%n%s",
                            ok.output("stderr"), verbose.output("stdout"), it.consoleLog(id),
                            Files.exists(auditFile) ? Files.readString(auditFile) : "(none)").isZero();
                }
                assertThat(ok.output("stdout")).contains("upstream saw auth=[Bearer " + SECRET_VALUE + "]");

                // UDP other than DNS goes nowhere; the audit log has every decision, never the value
                Path audit = it.state.resolve("egress-audit.jsonl");
                String log = Files.readString(audit);
                assertThat(log).contains("\"sandbox\":\"" + id + "\"").contains(ALLOWED).doesNotContain(SECRET_VALUE);

                ApiClient.Response deleted = it.slow(HttpMethod.DELETE, "/v1/sandboxes/" + id + "?force=true", null);
                assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);
            }
        } finally {
            System.clearProperty("paddock.egress.dnsServer");
            System.clearProperty("paddock.egress.dialRoute");
            System.clearProperty("paddock.egress.extraCa");
            // best effort: a failure to close must not hide the test's own failure
            dnsGroup.shutdownGracefully();
            side.close();
        }
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
