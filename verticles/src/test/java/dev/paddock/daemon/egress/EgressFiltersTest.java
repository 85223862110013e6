package dev.paddock.daemon.egress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.netpolicy.audit.AuditEvent;
import dev.paddock.netpolicy.audit.InMemoryAuditSink;
import dev.paddock.netpolicy.ca.SandboxCa;
import dev.paddock.netpolicy.dns.UpstreamAnswer;
import dev.paddock.netpolicy.dns.UpstreamResolver;
import dev.paddock.netpolicy.policy.PolicyParser;
import dev.paddock.netpolicy.policy.PolicyRegistry;
import dev.paddock.netpolicy.policy.Scope;
import dev.paddock.netpolicy.secret.Secrets;
import dev.paddock.vsock.splice.DuplexStream;
import dev.paddock.vsock.splice.HostSocket;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's egress filters end to end on loopback, with a fake muxer in place of a VM: a "guest" speaks the
 * agent's side of guest/PROTOCOL.md §12 on the registered ports, the real netpolicy DNS filter and egress proxy
 * decide, a fake upstream resolver answers names, and the dial route puts a public test address on a loopback
 * HTTP server.
 */
class EgressFiltersTest {
    private static final String ALLOWED_IP = "203.0.113.10";
    private static final String DENIED_IP = "203.0.113.11";

    @TempDir
    Path dir;
    private Vertx vertx;
    private HttpServer upstreamHttp;
    private NetServer fakeVsock;
    private final Map<Integer, Consumer<DuplexStream>> ports = new ConcurrentHashMap<>();
    private volatile int nextPort;
    private final InMemoryAuditSink audit = new InMemoryAuditSink(100);
    private EgressFilters filters;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        upstreamHttp = vertx.createHttpServer().requestHandler(r -> r.response().end("hello from upstream"));
        upstreamHttp.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        InetSocketAddress upstream = new InetSocketAddress("127.0.0.1", upstreamHttp.actualPort());
        PolicyRegistry registry = new PolicyRegistry(PolicyParser.parse(Scope.GLOBAL,
                "{\"default\": \"deny\", \"rules\": [{\"action\": \"allow\", \"domain\": \"allowed.test\","
                        + " \"ports\": [80]}]}"));
        registry.putSandbox("sb-1", "{}");
        EgressFilterOptions options = new EgressFilterOptions(java.util.Optional.empty(),
                d -> d.getAddress().getHostAddress().equals(ALLOWED_IP) ? upstream : d, java.util.Optional.empty(),
                EgressFilterOptions.DEFAULTS.classifyTimeout());
        UpstreamResolver.Factory names = (v, ctx) -> new UpstreamResolver() {
            @Override
            public Future<UpstreamAnswer> resolve(String name, DnsRecordType type) {
                String ip = name.equals("allowed.test") ? ALLOWED_IP : DENIED_IP;
                if (type != DnsRecordType.A) {
                    return Future.succeededFuture(new UpstreamAnswer(DnsResponseCode.NOERROR, List.of(), List.of()));
                }
                try {
                    return Future.succeededFuture(new UpstreamAnswer(DnsResponseCode.NOERROR, List.of(),
                            List.of(new UpstreamAnswer.Address(name, InetAddress.getByName(ip), 300))));
                } catch (java.net.UnknownHostException e) {
                    return Future.failedFuture(e);
                }
            }

            @Override
            public Future<Void> close() {
                return Future.succeededFuture();
            }
        };
        filters = new EgressFilters(vertx, registry, () -> Secrets.NONE, audit, options, names);
        filters.start().await(20, TimeUnit.SECONDS);
        filters.attach("sb-1", dir, List.of(), ports::put).await(20, TimeUnit.SECONDS);
        fakeVsock = vertx.createNetServer().connectHandler(s -> ports.get(nextPort).accept(HostSocket.wrap(s, "fake")));
        fakeVsock.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void tearDown() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** One guest stream to host port {@code port}: writes {@code sent}, returns everything until the host closes. */
    private Buffer exchange(int port, Buffer sent) throws Exception {
        nextPort = port;
        Promise<Buffer> all = Promise.promise();
        Buffer got = Buffer.buffer();
        NetSocket s = vertx.createNetClient().connect(fakeVsock.actualPort(), "127.0.0.1").await(10, TimeUnit.SECONDS);
        s.handler(got::appendBuffer);
        s.closeHandler(v -> all.tryComplete(got));
        s.exceptionHandler(e -> all.tryComplete(got));
        s.write(sent);
        return all.future().await(20, TimeUnit.SECONDS);
    }

    /** A DNS query for {@code name} type A, DNS-over-TCP framed (RFC 1035 §4.1, §4.2.2). */
    private static Buffer framedQuery(int id, String name) {
        Buffer q = Buffer.buffer().appendUnsignedShort(id).appendUnsignedShort(0x0100).appendUnsignedShort(1)
                .appendUnsignedShort(0).appendUnsignedShort(0).appendUnsignedShort(0);
        for (String label : name.split("\\.")) {
            q.appendByte((byte) label.length()).appendString(label, "US-ASCII");
        }
        q.appendByte((byte) 0).appendUnsignedShort(1).appendUnsignedShort(1);
        return Buffer.buffer().appendUnsignedShort(q.length()).appendBuffer(q);
    }

    /** Sends one framed query on a DNS stream and reads the one framed answer. */
    private Buffer dns(String name) throws Exception {
        nextPort = GuestEgressBridge.DNS_PORT;
        Promise<Buffer> answer = Promise.promise();
        Buffer got = Buffer.buffer();
        NetSocket s = vertx.createNetClient().connect(fakeVsock.actualPort(), "127.0.0.1").await(10, TimeUnit.SECONDS);
        s.handler(b -> {
            got.appendBuffer(b);
            if (got.length() >= 2 && got.length() >= 2 + got.getUnsignedShort(0)) {
                answer.tryComplete(got.getBuffer(2, 2 + got.getUnsignedShort(0)));
            }
        });
        s.closeHandler(v -> answer.tryFail("the DNS stream for " + name + " was closed by the host side after "
                + got.length() + " bytes, before a whole answer"));
        s.exceptionHandler(answer::tryFail);
        s.write(framedQuery(0x4242, name));
        Buffer msg;
        try {
            msg = answer.future().await(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no DNS answer for " + name + " within 20 s; " + got.length() + " bytes so far;"
                    + " audit: " + audit.events(), e);
        }
        s.close();
        return msg;
    }

    private static boolean contains(Buffer b, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= b.length(); i++) {
            for (int j = 0; j < needle.length; j++) {
                if (b.getByte(i + j) != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static Buffer get(String ip, String host) {
        return Buffer.buffer("PADDOCK-DST " + ip + " 80\nGET / HTTP/1.1\r\nHost: " + host
                + "\r\nConnection: close\r\n\r\n");
    }

    @Test
    void theCaIsKeptInTheSandboxDirectoryWithAPrivateKey() throws Exception {
        assertThat(dir.resolve(SandboxCa.CERT_FILE)).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(SandboxCa.KEY_FILE))))
                .isEqualTo("rw-------");
        assertThat(filters.attached("sb-1").orElseThrow().ca().certificatePem())
                .isEqualTo(Files.readString(dir.resolve(SandboxCa.CERT_FILE)));
    }

    @Test
    void anAllowedNameResolvesAndItsConnectionReachesTheUpstream() throws Exception {
        Buffer answer = dns("allowed.test");
        assertThat(answer.getUnsignedShort(0)).isEqualTo(0x4242);
        assertThat(answer.getUnsignedShort(2) & 0xf).as("rcode").isZero();
        assertThat(contains(answer, new byte[] {(byte) 203, 0, 113, 10})).isTrue();

        String response = exchange(GuestEgressBridge.EGRESS_PORT, get(ALLOWED_IP, "allowed.test"))
                .toString(StandardCharsets.ISO_8859_1);
        assertThat(response).startsWith("HTTP/1.1 200").endsWith("hello from upstream");
        assertThat(audit.events()).anySatisfy(e -> {
            assertThat(e.sandbox()).isEqualTo("sb-1");
            assertThat(e.channel()).isEqualTo("http");
            assertThat(e.decision()).isEqualTo("allow");
        });
    }

    @Test
    void aDeniedNameGetsNxdomainAndItsConnectionA403() throws Exception {
        Buffer answer = dns("denied.test");
        assertThat(answer.getUnsignedShort(2) & 0xf).as("rcode NXDOMAIN").isEqualTo(3);

        String response = exchange(GuestEgressBridge.EGRESS_PORT, get(DENIED_IP, "denied.test"))
                .toString(StandardCharsets.ISO_8859_1);
        assertThat(response).startsWith("HTTP/1.1 403").contains("Paddock egress: denied by");
        assertThat(audit.events()).extracting(AuditEvent::decision).contains("deny");
    }

    @Test
    void aNameTheSandboxNeverResolvedIsDenied() throws Exception {
        // no DNS query first: allowed.test was never resolved by this sandbox to this address
        String response = exchange(GuestEgressBridge.EGRESS_PORT, get(ALLOWED_IP, "allowed.test"))
                .toString(StandardCharsets.ISO_8859_1);
        assertThat(response).startsWith("HTTP/1.1 403");
    }

    @Test
    void detachStopsTheFiltersAndAttachAgainWorks() throws Exception {
        filters.detach("sb-1").await(10, TimeUnit.SECONDS);
        assertThat(filters.attached("sb-1")).isEmpty();
        ports.clear();
        filters.attach("sb-1", dir, List.of(), ports::put).await(20, TimeUnit.SECONDS);
        assertThat(ports).containsOnlyKeys(GuestEgressBridge.EGRESS_PORT, GuestEgressBridge.DNS_PORT);
        assertThat(dns("allowed.test").getUnsignedShort(2) & 0xf).isZero();
    }
}
