package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.netpolicy.audit.InMemoryAuditSink;
import dev.paddock.netpolicy.ca.CertificateMinter;
import dev.paddock.netpolicy.ca.LeafCache;
import dev.paddock.netpolicy.ca.Pem;
import dev.paddock.netpolicy.ca.SandboxCa;
import dev.paddock.netpolicy.decision.EgressDecider;
import dev.paddock.netpolicy.decision.HostProtection;
import dev.paddock.netpolicy.dns.ResolvedNames;
import dev.paddock.netpolicy.dns.UpstreamAnswer;
import dev.paddock.netpolicy.dns.UpstreamResolver;
import dev.paddock.netpolicy.name.DomainPattern;
import dev.paddock.netpolicy.policy.PolicyParser;
import dev.paddock.netpolicy.policy.PolicyRegistry;
import dev.paddock.netpolicy.policy.Scope;
import dev.paddock.netpolicy.secret.Secret;
import dev.paddock.netpolicy.secret.SecretInjection;
import dev.paddock.netpolicy.secret.Secrets;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A sandbox, its policy and real upstream servers on loopback. Public test addresses (documentation and
 * example ranges) are routed onto the loopback servers by the proxy's dial route; anything else is routed to a
 * "forbidden" server that counts connections, so a bypass that got through would show there.
 */
final class ProxyFixture implements AutoCloseable {
    static final String SANDBOX = "sb-egress";
    static final String SECRET_VALUE = "ghp_REAL_SECRET_VALUE_0123456789";
    static final InetSocketAddress HTTP = addr("93.184.216.10", 80);
    static final InetSocketAddress TLS = addr("93.184.216.20", 443);
    static final InetSocketAddress INTERCEPT = addr("93.184.216.30", 443);
    static final InetSocketAddress TCP = addr("198.51.100.7", 5432);
    static final InetSocketAddress TCP6 = addr("2001:db8::7", 5432);
    static final String POLICY = """
            { "default": "deny", "rules": [
              { "id": "www",     "action": "allow", "domain": "www.example.com", "ports": [80] },
              { "id": "api",     "action": "allow", "domain": "api.example.com", "ports": [443] },
              { "id": "secrets", "action": "allow", "domain": "secrets.example.com", "ports": [443] },
              { "id": "gated",   "action": "allow", "domain": "gated.example.com", "ports": [443],
                "methods": ["GET"], "paths": ["/ok/**"] },
              { "id": "plain-gated", "action": "allow", "domain": "plain-gated.example.com", "ports": [80],
                "methods": ["GET"], "paths": ["/ok/**"] },
              { "id": "db",      "action": "allow", "cidr": "198.51.100.0/24", "ports": [5432] },
              { "id": "db6",     "action": "allow", "cidr": "2001:db8::/32", "ports": [5432] },
              { "id": "rebind",  "action": "allow", "domain": "rebind.example.com" },
              { "id": "bad",     "action": "deny",  "domain": "evil.example.com" } ] }""";

    final Vertx vertx;
    final InMemoryAuditSink audit = new InMemoryAuditSink(10_000);
    final ResolvedNames resolved = ResolvedNames.withDefaults(InstantSource.system());
    final PolicyRegistry registry;
    final SandboxCa sandboxCa = SandboxCa.ephemeral(SANDBOX);
    final List<String> seenRequests = new CopyOnWriteArrayList<>();
    final Map<String, String> seenAuthorization = new ConcurrentHashMap<>();
    final AtomicInteger forbiddenConnections = new AtomicInteger();
    final Map<InetSocketAddress, InetSocketAddress> routes = new ConcurrentHashMap<>();
    final Map<String, InetAddress> dns = new ConcurrentHashMap<>();
    EgressProxyVerticle proxy;
    X509Certificate testCa;
    private InetSocketAddress forbidden;
    private final List<Object> servers = new CopyOnWriteArrayList<>();

    ProxyFixture(Vertx vertx) throws Exception {
        this.vertx = vertx;
        this.registry = new PolicyRegistry(PolicyParser.parse(Scope.GLOBAL, POLICY));
        registry.putSandbox(SANDBOX, "{}");
    }

    static InetSocketAddress addr(String ip, int port) {
        return new InetSocketAddress(IpAddresses.parseLiteral(ip).orElseThrow(), port);
    }

    /** Starts the upstream servers and the proxy; blocks the test thread only. */
    ProxyFixture start() throws Exception {
        KeyPair caKeys = CertificateMinter.newKeyPair();
        Instant now = Instant.now();
        testCa = CertificateMinter.selfSignedCa("upstream test CA", caKeys, now.minusSeconds(3600), now.plusSeconds(86400));
        KeyPair leafKeys = CertificateMinter.newKeyPair();
        X509Certificate leaf = CertificateMinter.serverLeaf(
                List.of("api.example.com", "secrets.example.com", "gated.example.com", "other.example.com"),
                leafKeys, testCa, caKeys.getPrivate(), now.minusSeconds(3600), now.plusSeconds(86400));
        PemKeyCertOptions pem = new PemKeyCertOptions()
                .setKeyValue(Buffer.buffer(Pem.privateKey(leafKeys.getPrivate())))
                .setCertValue(Buffer.buffer(Pem.certificate(leaf)));

        InetSocketAddress http = listen(httpServer(new HttpServerOptions()));
        InetSocketAddress https = listen(httpServer(new HttpServerOptions().setSsl(true).setKeyCertOptions(pem)));
        InetSocketAddress echo = echoServer();
        NetServer forbiddenServer = vertx.createNetServer().connectHandler(s -> {
            forbiddenConnections.incrementAndGet();
            s.handler(b -> s.write(b));
        });
        forbidden = local(await(forbiddenServer.listen(0, "127.0.0.1")).actualPort());
        servers.add(forbiddenServer);
        routes.put(HTTP, http);
        routes.put(TLS, https);
        routes.put(INTERCEPT, https);
        routes.put(TCP, echo);
        routes.put(TCP6, echo);

        dns.put("www.example.com", HTTP.getAddress());
        dns.put("api.example.com", TLS.getAddress());
        dns.put("secrets.example.com", INTERCEPT.getAddress());

        LeafCache leaves = new LeafCache(sandboxCa);
        Secrets secrets = Secrets.of(List.of(new Secret("github", SECRET_VALUE,
                List.of(DomainPattern.parse("secrets.example.com").pattern().orElseThrow()),
                new SecretInjection("Authorization", Optional.empty()))));
        SandboxInterception interception = new SandboxInterception();
        interception.register(SANDBOX, leaves, () -> secrets);

        EgressDecider decider = new EgressDecider(registry, () -> new HostProtection(
                java.util.Set.of(IpAddresses.parseLiteral("203.0.113.250").orElseThrow()), java.util.Set.of()));
        EgressProxyOptions options = EgressProxyOptions.loopback(SANDBOX)
                .withExtraTrust(List.of(testCa))
                .withDialRoute(dst -> routes.getOrDefault(dst, forbidden));
        proxy = new EgressProxyVerticle(options, decider, resolved, audit, interception, mapResolver(), InstantSource.system());
        await(vertx.deployVerticle(proxy));
        return this;
    }

    /** The sandbox's DNS filter answered {@code name} with {@code address} (what the DNS filter records). */
    void resolvedByGuest(String name, InetSocketAddress address) {
        resolved.remember(SANDBOX, name, address.getAddress(), 300);
    }

    private UpstreamResolver.Factory mapResolver() {
        return (v, ctx) -> new UpstreamResolver() {
            @Override
            public Future<UpstreamAnswer> resolve(String name, io.netty.handler.codec.dns.DnsRecordType type) {
                InetAddress a = dns.get(name);
                return Future.succeededFuture(a == null
                        ? new UpstreamAnswer(DnsResponseCode.NXDOMAIN, List.of(), List.of())
                        : new UpstreamAnswer(DnsResponseCode.NOERROR, List.of(),
                        List.of(new UpstreamAnswer.Address(name, a, 300))));
            }

            @Override
            public Future<Void> close() {
                return Future.succeededFuture();
            }
        };
    }

    private HttpServer httpServer(HttpServerOptions o) {
        HttpServer server = vertx.createHttpServer(o).requestHandler(req -> {
            String line = req.method() + " " + req.getHeader("Host") + " " + req.uri();
            seenRequests.add(line);
            String auth = req.getHeader("Authorization");
            if (auth != null) {
                seenAuthorization.put(req.uri(), auth);
            }
            req.body().onSuccess(body -> req.response().putHeader("X-Upstream", "yes")
                    .end("upstream saw " + line + " body=" + body.length()));
        });
        servers.add(server);
        return server;
    }

    private InetSocketAddress listen(HttpServer s) throws Exception {
        return local(await(s.listen(0, "127.0.0.1")).actualPort());
    }

    private InetSocketAddress echoServer() throws Exception {
        NetServer s = vertx.createNetServer().connectHandler(sock -> sock.handler(b -> sock.write(b)));
        servers.add(s);
        return local(await(s.listen(0, "127.0.0.1")).actualPort());
    }

    private static InetSocketAddress local(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    /** A guest connection to {@code dst}, handed over through the loopback hand-off listener. */
    Socket guestConnect(InetSocketAddress dst) throws IOException {
        return guestConnect(SANDBOX, dst);
    }

    /** The same, for another sandbox id. */
    Socket guestConnect(String sandbox, InetSocketAddress dst) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.handoffPort()), 5000);
        s.setSoTimeout(10_000);
        s.getOutputStream().write(HandoffPreamble.line(sandbox, dst).getBytes(StandardCharsets.US_ASCII));
        return s;
    }

    /** A client of the explicit proxy listener. */
    Socket explicitConnect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.explicitPort()), 5000);
        s.setSoTimeout(10_000);
        return s;
    }

    /** Sends {@code request} raw and reads until the peer closes; "RESET" when the connection was reset. */
    static String exchange(Socket s, byte[]... writes) throws IOException {
        try (s) {
            OutputStream out = s.getOutputStream();
            for (byte[] w : writes) {
                out.write(w);
                out.flush();
            }
            return readAll(s.getInputStream());
        } catch (SocketException e) {
            return "RESET (" + e.getMessage() + ")";
        }
    }

    static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        try {
            int n;
            while ((n = in.read(b)) >= 0) {
                buf.write(b, 0, n);
            }
        } catch (SocketException e) {
            return buf.size() == 0 ? "RESET (" + e.getMessage() + ")" : buf.toString(StandardCharsets.ISO_8859_1);
        }
        return buf.toString(StandardCharsets.ISO_8859_1);
    }

    /** A TLS client over {@code raw} sending {@code sni}, trusting {@code ca} (the guest trusts its sandbox CA). */
    static SSLSocket tls(Socket raw, String sni, X509Certificate ca) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, sni, 443, true);
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(sni)));
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        return s;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() {
        // Vert.x closes the servers and the verticle with the test's Vertx instance.
    }

    static Duration timeout() {
        return Duration.ofSeconds(10);
    }
}
