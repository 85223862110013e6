package dev.paddock.loadtests.egress;

import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.netpolicy.audit.AuditSink;
import dev.paddock.netpolicy.decision.EgressDecider;
import dev.paddock.netpolicy.decision.HostProtection;
import dev.paddock.netpolicy.dns.ResolvedNames;
import dev.paddock.netpolicy.dns.UpstreamAnswer;
import dev.paddock.netpolicy.dns.UpstreamResolver;
import dev.paddock.netpolicy.policy.PolicyParser;
import dev.paddock.netpolicy.policy.PolicyRegistry;
import dev.paddock.netpolicy.policy.Scope;
import dev.paddock.netpolicy.proxy.EgressProxyOptions;
import dev.paddock.netpolicy.proxy.EgressProxyVerticle;
import dev.paddock.netpolicy.proxy.SandboxInterception;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Paddock's egress proxy against a peer proxy (tinyproxy), in one run, on loopback: plain HTTP (absolute-form)
 * and CONNECT tunnels, each measured as added latency (keep-alive 1 KiB GETs, minus the same requests sent
 * directly) and throughput (1 MiB bodies). Usage: {@code EgressProxyBench <peer-proxy-port> [seconds-per-case]}.
 * The upstream is a Vert.x HTTP server in this JVM; the peer runs as its own process.
 */
public final class EgressProxyBench {
    static final String NAME = "bench.example.com";
    static final InetSocketAddress PUBLIC = new InetSocketAddress(IpAddresses.parseLiteral("93.184.216.50").orElseThrow(), 80);

    public static void main(String[] args) throws Exception {
        int peerPort = Integer.parseInt(args[0]);
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
        Vertx upstreamVertx = Vertx.vertx();
        Vertx proxyVertx = Vertx.vertx();
        Buffer small = Buffer.buffer(new byte[1024]);
        Buffer big = Buffer.buffer(new byte[1 << 20]);
        int upstreamPort = await(upstreamVertx.createHttpServer().requestHandler(req ->
                req.response().end(req.path().equals("/big") ? big : small)).listen(0, "127.0.0.1")).actualPort();
        InetSocketAddress upstream = new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort);

        PolicyRegistry registry = new PolicyRegistry(PolicyParser.parse(Scope.GLOBAL,
                "{\"default\":\"deny\",\"rules\":[{\"id\":\"bench\",\"action\":\"allow\",\"domain\":\"" + NAME
                        + "\",\"ports\":[80]}]}"));
        registry.putSandbox("bench", "{}");
        AuditSink audit = e -> { };
        UpstreamResolver.Factory resolver = (v, c) -> new UpstreamResolver() {
            @Override
            public Future<UpstreamAnswer> resolve(String name, io.netty.handler.codec.dns.DnsRecordType type) {
                return Future.succeededFuture(new UpstreamAnswer(DnsResponseCode.NOERROR, List.of(),
                        List.of(new UpstreamAnswer.Address(name, PUBLIC.getAddress(), 300))));
            }

            @Override
            public Future<Void> close() {
                return Future.succeededFuture();
            }
        };
        EgressProxyVerticle proxy = new EgressProxyVerticle(
                EgressProxyOptions.loopback("bench").withDialRoute(d -> d.equals(PUBLIC) ? upstream : d),
                new EgressDecider(registry, () -> HostProtection.NONE), ResolvedNames.withDefaults(InstantSource.system()),
                audit, new SandboxInterception(), resolver, InstantSource.system());
        await(proxyVertx.deployVerticle(proxy));

        Target paddock = new Target("paddock", proxy.explicitPort(), NAME + ":80");
        Target peer = new Target("tinyproxy", peerPort, "127.0.0.1:" + upstreamPort);
        Target direct = new Target("direct", upstreamPort, null);
        // Warm up both proxies and the JIT, then alternate so drift hits both equally.
        for (Target t : List.of(direct, paddock, peer)) {
            latency(t, false, 0.5);
            latency(t, true, 0.5);
            throughput(t, false, 0.5);
        }
        double directPerConnection = latency(direct, false, seconds);
        double directKeepAlive = latency(direct, true, seconds);
        System.out.printf(Locale.ROOT, "direct: %.1f us per 1 KiB GET on a new connection, %.1f us kept alive%n",
                directPerConnection, directKeepAlive);
        for (boolean tunnel : new boolean[] {false, true}) {
            double directLat = tunnel ? directKeepAlive : directPerConnection;
            String mode = tunnel ? "CONNECT" : "HTTP";
            double[] lat = new double[2];
            double[] tput = new double[2];
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 2; i++) {
                    Target t = i == 0 ? paddock : peer;
                    lat[i] += latency(t, tunnel, seconds / 2) / 2;
                    tput[i] += throughput(t, tunnel, seconds / 2) / 2;
                }
            }
            System.out.printf(Locale.ROOT, "%-7s paddock: +%.1f us/request, %.0f MiB/s   tinyproxy: +%.1f us/request, %.0f MiB/s"
                            + "   throughput ratio paddock/tinyproxy: %.2f%n", mode, lat[0] - directLat, tput[0],
                    lat[1] - directLat, tput[1], tput[0] / tput[1]);
        }
        proxyVertx.close();
        upstreamVertx.close();
    }

    record Target(String name, int port, String authority) { }

    /** Opens a connection for {@code t}: direct, through the proxy (absolute-form), or a CONNECT tunnel. */
    static Conn open(Target t, boolean tunnel) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), t.port()));
        Conn c = new Conn(s, t.authority() != null && !tunnel ? "http://" + t.authority() : "");
        if (tunnel && t.authority() != null) {
            c.out.write(("CONNECT " + t.authority() + " HTTP/1.1\r\nHost: " + t.authority() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
            c.readResponse(); // 200 Connection established (no body)
        }
        return c;
    }

    /**
     * Mean microseconds per 1 KiB GET. Plain HTTP opens a connection per request for every target, because
     * tinyproxy closes client connections after each response (no client keep-alive); a CONNECT tunnel stays
     * open and carries keep-alive requests.
     */
    static double latency(Target t, boolean tunnel, double seconds) throws IOException {
        return run(t, tunnel, seconds, "/small")[0];
    }

    /** MiB/s of 1 MiB response bodies, connections as in {@link #latency}. */
    static double throughput(Target t, boolean tunnel, double seconds) throws IOException {
        return run(t, tunnel, seconds, "/big")[1];
    }

    private static double[] run(Target t, boolean tunnel, double seconds, String path) throws IOException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long n = 0;
        long bytes = 0;
        long start = System.nanoTime();
        Conn c = tunnel ? open(t, true) : null;
        try {
            while (System.nanoTime() < end) {
                if (tunnel) {
                    bytes += c.get(path);
                } else {
                    try (Conn once = open(t, false)) {
                        bytes += once.get(path);
                    }
                }
                n++;
            }
        } finally {
            if (c != null) {
                c.close();
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        return new double[] {secs * 1e6 / n, bytes / secs / (1 << 20)};
    }

    static final class Conn implements AutoCloseable {
        final Socket socket;
        final OutputStream out;
        final InputStream in;
        final String prefix;
        final byte[] buf = new byte[64 * 1024];

        Conn(Socket s, String prefix) throws IOException {
            this.socket = s;
            this.out = s.getOutputStream();
            this.in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            this.prefix = prefix;
        }

        long get(String path) throws IOException {
            out.write(("GET " + prefix + path + " HTTP/1.1\r\nHost: " + NAME + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return readResponse();
        }

        /** Reads one response; returns its body length. */
        long readResponse() throws IOException {
            long contentLength = 0;
            StringBuilder line = new StringBuilder();
            boolean first = true;
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed in the response head");
                }
                if (b == '\n') {
                    String l = line.toString().trim();
                    line.setLength(0);
                    if (first) {
                        if (!l.matches("HTTP/1\\.[01] 200.*")) {
                            throw new IOException("unexpected status: " + l);
                        }
                        first = false;
                    } else if (l.isEmpty()) {
                        break;
                    } else if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                        contentLength = Long.parseLong(l.substring(15).trim());
                    }
                } else {
                    line.append((char) b);
                }
            }
            long left = contentLength;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException("connection closed in the body");
                }
                left -= n;
            }
            return contentLength;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
}
