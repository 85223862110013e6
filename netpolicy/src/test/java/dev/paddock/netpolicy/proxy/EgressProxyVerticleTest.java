package dev.paddock.netpolicy.proxy;

import static dev.paddock.netpolicy.proxy.ProxyFixture.ascii;
import static dev.paddock.netpolicy.proxy.ProxyFixture.exchange;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.netpolicy.audit.AuditEvent;
import dev.paddock.netpolicy.audit.EventBusAuditSink;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The egress proxy against real HTTP, HTTPS (test CA) and TCP servers on loopback. */
@ExtendWith(VertxExtension.class)
class EgressProxyVerticleTest {
    ProxyFixture fx;

    @BeforeEach
    void start(Vertx vertx) throws Exception {
        fx = new ProxyFixture(vertx).start();
    }

    static String get(String host, String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
    }

    @Test
    void plainHttpToAResolvedAllowedNameReachesUpstreamAndIsAuditedWithBytes() throws Exception {
        fx.resolvedByGuest("www.example.com", ProxyFixture.HTTP);
        String r = exchange(fx.guestConnect(ProxyFixture.HTTP), ascii(get("www.example.com", "/hello")));
        assertThat(r).startsWith("HTTP/1.1 200").contains("upstream saw GET www.example.com /hello");
        AuditEvent e = awaitEvent("http", "allow");
        assertThat(e.rule()).isEqualTo("www");
        assertThat(e.host()).isEqualTo("www.example.com");
        assertThat(e.destination()).isEqualTo("93.184.216.10:80");
        assertThat(e.bytesOut()).isPositive();
        assertThat(e.bytesIn()).as("%s", fx.audit.events()).isPositive();
    }

    @Test
    void tlsToAnAllowedNameIsPassedThroughByItsSni() throws Exception {
        fx.resolvedByGuest("api.example.com", ProxyFixture.TLS);
        try (SSLSocket s = ProxyFixture.tls(fx.guestConnect(ProxyFixture.TLS), "api.example.com", fx.testCa)) {
            s.getOutputStream().write(ascii(get("api.example.com", "/v1")));
            String r = ProxyFixture.readAll(s.getInputStream());
            assertThat(r).startsWith("HTTP/1.1 200").contains("upstream saw GET api.example.com /v1");
            // Passed through: the guest saw the upstream's own certificate, not a sandbox CA leaf.
            assertThat(((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0])
                    .getIssuerX500Principal().getName()).contains("upstream test CA");
        }
        AuditEvent e = awaitEvent("tcp", "allow");
        assertThat(e.sni()).isEqualTo("api.example.com");
        assertThat(e.detail()).isEqualTo("tls passthrough");
        assertThat(e.bytesOut()).isPositive();
        assertThat(e.bytesIn()).isPositive();
    }

    @Test
    void secretReachesTheBoundUpstreamWhileTheGuestOnlySentThePlaceholder() throws Exception {
        fx.resolvedByGuest("secrets.example.com", ProxyFixture.INTERCEPT);
        String sent = "GET /user HTTP/1.1\r\nHost: secrets.example.com\r\n"
                + "Authorization: Bearer paddock-secret:github\r\nConnection: close\r\n\r\n";
        assertThat(sent).doesNotContain(ProxyFixture.SECRET_VALUE);
        String r;
        try (SSLSocket s = ProxyFixture.tls(fx.guestConnect(ProxyFixture.INTERCEPT), "secrets.example.com",
                fx.sandboxCa.certificate())) {
            s.getOutputStream().write(ascii(sent));
            r = ProxyFixture.readAll(s.getInputStream());
            // Intercepted: the guest saw a leaf of its sandbox CA.
            assertThat(((java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0])
                    .getIssuerX500Principal().getName()).contains("Paddock sandbox " + ProxyFixture.SANDBOX);
        }
        assertThat(r).startsWith("HTTP/1.1 200").contains("upstream saw GET secrets.example.com /user");
        assertThat(r).doesNotContain(ProxyFixture.SECRET_VALUE);
        assertThat(fx.seenAuthorization.get("/user")).isEqualTo("Bearer " + ProxyFixture.SECRET_VALUE);
        AuditEvent e = awaitEvent("http", "allow");
        assertThat(e.detail()).contains("secrets [github]").doesNotContain(ProxyFixture.SECRET_VALUE);
    }

    @Test
    void methodAndPathRulesApplyPerRequestOnInterceptedTls() throws Exception {
        fx.resolvedByGuest("gated.example.com", ProxyFixture.INTERCEPT);
        String ok;
        try (SSLSocket s = ProxyFixture.tls(fx.guestConnect(ProxyFixture.INTERCEPT), "gated.example.com",
                fx.sandboxCa.certificate())) {
            s.getOutputStream().write(ascii("GET /ok/1 HTTP/1.1\r\nHost: gated.example.com\r\n"
                    + "Authorization: Bearer paddock-secret:github\r\nConnection: close\r\n\r\n"));
            ok = ProxyFixture.readAll(s.getInputStream());
        }
        assertThat(ok).startsWith("HTTP/1.1 200");
        // Not a bound host: the placeholder travels as the guest wrote it.
        assertThat(fx.seenAuthorization.get("/ok/1")).isEqualTo("Bearer paddock-secret:github");

        String denied;
        try (SSLSocket s = ProxyFixture.tls(fx.guestConnect(ProxyFixture.INTERCEPT), "gated.example.com",
                fx.sandboxCa.certificate())) {
            s.getOutputStream().write(ascii("POST /ok/1 HTTP/1.1\r\nHost: gated.example.com\r\nContent-Length: 2\r\n\r\nhi"));
            denied = ProxyFixture.readAll(s.getInputStream());
        }
        assertThat(denied).startsWith("HTTP/1.1 403").contains("Paddock egress: denied by global:default")
                .contains("X-Paddock-Egress-Rule: global:default");
        assertThat(fx.seenRequests).noneMatch(l -> l.startsWith("POST"));
    }

    @Test
    void keepAliveRequestsAreDecidedOneByOne() throws Exception {
        fx.resolvedByGuest("www.example.com", ProxyFixture.HTTP);
        String r = exchange(fx.guestConnect(ProxyFixture.HTTP), ascii(
                "GET /one HTTP/1.1\r\nHost: www.example.com\r\n\r\nGET /two HTTP/1.1\r\nHost: www.example.com\r\n\r\n"
                        + "GET /three HTTP/1.1\r\nHost: evil.example.com\r\n\r\n"));
        assertThat(r).contains("upstream saw GET www.example.com /one").contains("upstream saw GET www.example.com /two")
                .contains("HTTP/1.1 403");
        assertThat(fx.seenRequests).noneMatch(l -> l.contains("/three"));
    }

    @Test
    void explicitProxyConnectAndAbsoluteForm() throws Exception {
        String abs = exchange(fx.explicitConnect(), ascii(
                "GET http://www.example.com/abs HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n"));
        assertThat(abs).startsWith("HTTP/1.1 200").contains("upstream saw GET www.example.com /abs");

        Socket s = fx.explicitConnect();
        OutputStream out = s.getOutputStream();
        out.write(ascii("CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n"));
        out.flush();
        byte[] head = new byte[39];
        int n = s.getInputStream().readNBytes(head, 0, head.length);
        assertThat(new String(head, 0, n, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200 Connection established");
        try (SSLSocket tls = ProxyFixture.tls(s, "api.example.com", fx.testCa)) {
            tls.getOutputStream().write(ascii(get("api.example.com", "/tunnel")));
            assertThat(ProxyFixture.readAll(tls.getInputStream())).contains("upstream saw GET api.example.com /tunnel");
        }
    }

    @Test
    void opaqueTcpToACidrAllowedAddressIsSpliced() throws Exception {
        for (var dst : List.of(ProxyFixture.TCP, ProxyFixture.TCP6)) {
            try (Socket s = fx.guestConnect(dst)) {
                s.getOutputStream().write(new byte[] {0, 0, 0, 8, 4, (byte) 210, 22, 47});
                byte[] back = s.getInputStream().readNBytes(8);
                assertThat(back).containsExactly(0, 0, 0, 8, 4, (byte) 210, 22, 47);
            }
        }
        AuditEvent e = awaitEvent("tcp", "allow");
        assertThat(e.rule()).startsWith("db");
    }

    @Test
    void serverSpeaksFirstProtocolsAreClassifiedAfterSilence() throws Exception {
        try (Socket s = fx.guestConnect(ProxyFixture.TCP)) {
            Thread.sleep(700); // longer than the classify timeout: opaque TCP, spliced
            s.getOutputStream().write(ascii("SSH-2.0-test\r\n"));
            assertThat(new String(s.getInputStream().readNBytes(14), StandardCharsets.US_ASCII)).isEqualTo("SSH-2.0-test\r\n");
        }
    }

    @Test
    void auditEventsArePublishedOnTheEventBus(Vertx vertx) throws Exception {
        CompletableFuture<JsonObject> got = new CompletableFuture<>();
        vertx.eventBus().<JsonObject>consumer(EventBusAuditSink.ADDRESS, m -> got.complete(m.body()));
        new EventBusAuditSink(vertx.eventBus()).record(AuditEvent.connection(Instant.EPOCH, "sb", "tcp", "1.2.3.4:5",
                null, null, new dev.paddock.netpolicy.decision.EgressDecision(
                        dev.paddock.netpolicy.decision.Verdict.DENY,
                        dev.paddock.netpolicy.decision.ReasonCode.IP_LITERAL_NEEDS_CIDR, "identity:ip-literal", "x",
                        false, 3), 0, 0, "reset"));
        JsonObject j = got.get(5, TimeUnit.SECONDS);
        assertThat(j.getString("decision")).isEqualTo("deny");
        assertThat(j.getString("rule")).isEqualTo("identity:ip-literal");
        assertThat(j.containsKey("sni")).isFalse();
    }

    AuditEvent awaitEvent(String channel, String decision) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            var hit = fx.audit.events().stream()
                    .filter(e -> e.channel().equals(channel) && e.decision().equals(decision)).findFirst();
            if (hit.isPresent()) {
                return hit.get();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no " + channel + " " + decision + " audit event in 10 s; events: " + fx.audit.events());
    }
}
