package dev.paddock.netpolicy.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.netpolicy.audit.AuditEvent;
import dev.paddock.netpolicy.audit.InMemoryAuditSink;
import dev.paddock.netpolicy.decision.EgressDecider;
import dev.paddock.netpolicy.decision.EgressDecision;
import dev.paddock.netpolicy.decision.EgressRequest;
import dev.paddock.netpolicy.decision.HostProtection;
import dev.paddock.netpolicy.decision.ReasonCode;
import dev.paddock.netpolicy.policy.PolicyParser;
import dev.paddock.netpolicy.policy.PolicyRegistry;
import dev.paddock.netpolicy.policy.Scope;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.vertx.core.Vertx;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The DNS filter on real loopback sockets, against a real local upstream DNS server. */
@ExtendWith(VertxExtension.class)
class DnsFilterVerticleTest {
    static final String SANDBOX = "sb1";
    static final String POLICY = """
            { "default": "deny", "rules": [
              { "id": "g-api",     "action": "allow", "domain": "api.example.com", "ports": [443] },
              { "id": "g-www",     "action": "allow", "domain": "www.example.com" },
              { "id": "g-missing", "action": "allow", "domain": "nothing.example.com" },
              { "id": "g-stray",   "action": "allow", "domain": "also-adds-stray.example.com" },
              { "id": "g-bad",     "action": "deny",  "domain": "bad.example.com" } ] }""";

    FakeUpstreamDns upstream;
    MutableClock clock;
    ResolvedNames resolvedNames;
    InMemoryAuditSink audit;
    EgressDecider decider;
    DnsFilterVerticle filter;

    @BeforeEach
    void deploy(Vertx vertx, VertxTestContext ctx) throws Exception {
        upstream = new FakeUpstreamDns()
                .a("api.example.com", 120, "93.184.216.34", "2606:2800:220:1::1")
                .cname("www.example.com", "edge.cdn-provider.example", 300)
                .a("edge.cdn-provider.example", 60, "93.184.216.40")
                .a("bad.example.com", 300, "6.6.6.6")
                .a("also-adds-stray.example.com", 300, "93.184.216.50");
        clock = new MutableClock();
        resolvedNames = new ResolvedNames(clock, Duration.ofSeconds(30), Duration.ofHours(1), 1000);
        audit = new InMemoryAuditSink(1000);
        PolicyRegistry registry = new PolicyRegistry(PolicyParser.parse(Scope.GLOBAL, POLICY));
        registry.putSandbox(SANDBOX, "{}");
        decider = new EgressDecider(registry, () -> HostProtection.NONE);
        filter = new DnsFilterVerticle(SANDBOX, DnsFilterOptions.loopback(0), decider, resolvedNames, audit,
                NettyUpstreamResolver.server(upstream.address(), Duration.ofSeconds(2)), clock);
        vertx.deployVerticle(filter).onComplete(ctx.succeedingThenComplete());
    }

    @AfterEach
    void closeUpstream() {
        upstream.close();
    }

    @Test
    void allowedNameGetsTheRealAnswerAndIsRememberedForThisSandbox(Vertx vertx, VertxTestContext ctx) {
        Checkpoint answered = ctx.checkpoint();
        vertx.executeBlocking(() -> DnsTestClient.udp(filter.udpPort(), DnsTestClient.query(0x1234, "api.example.com", DnsRecordType.A)))
                .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
                    assertThat(reply.id()).isEqualTo(0x1234);
                    assertThat(reply.code()).isEqualTo(DnsResponseCode.NOERROR);
                    assertThat(reply.answers()).containsExactly("api.example.com. A 120 93.184.216.34");
                    assertThat(resolvedNames.namesFor(SANDBOX, ip("93.184.216.34"))).containsExactly("api.example.com");
                    assertThat(resolvedNames.namesFor("another-sandbox", ip("93.184.216.34"))).isEmpty();
                    AuditEvent e = only(audit.events());
                    assertThat(e.channel()).isEqualTo("dns");
                    assertThat(e.destination()).isEqualTo("api.example.com");
                    assertThat(e.decision()).isEqualTo("allow");
                    assertThat(e.rule()).isEqualTo("g-api");
                    assertThat(e.detail()).isEqualTo("A -> NOERROR 93.184.216.34");
                    answered.flag();
                })));
    }

    @Test
    void deniedNameGetsNxdomainAndAnEventAndNeverReachesUpstream(Vertx vertx, VertxTestContext ctx) {
        Checkpoint denied = ctx.checkpoint(2);
        for (String name : List.of("bad.example.com", "exfil-c2VjcmV0.attacker.example")) {
            vertx.executeBlocking(() -> DnsTestClient.udp(filter.udpPort(), DnsTestClient.query(7, name, DnsRecordType.A)))
                    .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
                        assertThat(reply.code()).isEqualTo(DnsResponseCode.NXDOMAIN);
                        assertThat(reply.answers()).isEmpty();
                        assertThat(upstream.questions).noneMatch(q -> q.startsWith(name));
                        denied.flag();
                    })));
        }
    }

    @Test
    void denialEventNamesTheRule(Vertx vertx, VertxTestContext ctx) {
        vertx.executeBlocking(() -> DnsTestClient.udp(filter.udpPort(), DnsTestClient.query(8, "bad.example.com", DnsRecordType.AAAA)))
                .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
                    AuditEvent e = only(audit.events());
                    assertThat(e.decision()).isEqualTo("deny");
                    assertThat(e.reason()).isEqualTo(ReasonCode.DENIED_BY_RULE.name());
                    assertThat(e.rule()).isEqualTo("g-bad");
                    assertThat(e.ruleText()).isEqualTo("deny domain bad.example.com");
                    assertThat(e.detail()).isEqualTo("AAAA -> NXDOMAIN");
                    ctx.completeNow();
                })));
    }

    @Test
    void cnameChainIsAnsweredAndEveryNameOnItRemembered(Vertx vertx, VertxTestContext ctx) {
        vertx.executeBlocking(() -> DnsTestClient.udp(filter.udpPort(), DnsTestClient.query(9, "www.example.com", DnsRecordType.A)))
                .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
                    assertThat(reply.answers()).containsExactly(
                            "www.example.com. CNAME 300 edge.cdn-provider.example.",
                            "edge.cdn-provider.example. A 60 93.184.216.40");
                    InetAddress edge = ip("93.184.216.40");
                    Set<String> names = resolvedNames.namesFor(SANDBOX, edge);
                    assertThat(names).containsExactlyInAnyOrder("www.example.com", "edge.cdn-provider.example");
                    // The connection is then decided by the name the guest uses: the asked name passes, the CDN
                    // name (which the policy does not allow) does not.
                    assertThat(connect("www.example.com", edge, names).allowed()).isTrue();
                    EgressDecision viaCdnName = connect("edge.cdn-provider.example", edge, names);
                    assertThat(viaCdnName.reason()).isEqualTo(ReasonCode.DENIED_BY_DEFAULT);
                    ctx.completeNow();
                })));
    }

    @Test
    void recordsOffTheChainAreNeitherAnsweredNorRemembered(Vertx vertx, VertxTestContext ctx) {
        vertx.executeBlocking(() -> DnsTestClient.udp(filter.udpPort(), DnsTestClient.query(10, "also-adds-stray.example.com", DnsRecordType.A)))
                .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
                    assertThat(reply.answers()).containsExactly("also-adds-stray.example.com. A 300 93.184.216.50");
                    assertThat(resolvedNames.namesFor(SANDBOX, ip("9.9.9.9"))).isEmpty();
                    ctx.completeNow();
                })));
    }

    @Test
    void tcpQueriesWithLengthFramingOnOneConnection(Vertx vertx, VertxTestContext ctx) {
        vertx.executeBlocking(() -> DnsTestClient.tcp(filter.tcpPort(),
                        DnsTestClient.query(21, "api.example.com", DnsRecordType.AAAA),
                        DnsTestClient.query(22, "bad.example.com", DnsRecordType.A)))
                .onComplete(ctx.succeeding(replies -> ctx.verify(() -> {
                    // RFC 7766 §6.2.1.1: pipelined answers may come back in any order; the id matches them up.
                    DnsTestClient.Reply allowed = replies.stream().filter(r -> r.id() == 21).findFirst().orElseThrow();
                    DnsTestClient.Reply denied = replies.stream().filter(r -> r.id() == 22).findFirst().orElseThrow();
                    assertThat(allowed.answers()).containsExactly("api.example.com. AAAA 120 2606:2800:220:1::1");
                    assertThat(denied.code()).isEqualTo(DnsResponseCode.NXDOMAIN);
                    assertThat(resolvedNames.namesFor(SANDBOX, ip("2606:2800:220:1::1"))).containsExactly("api.example.com");
                    ctx.completeNow();
                })));
    }

    @Test
    void malformedQueriesGetFormerrOverUdpAndTcp(Vertx vertx, VertxTestContext ctx) {
        byte[] truncated = java.util.Arrays.copyOf(DnsTestClient.query(0x4242, "api.example.com", DnsRecordType.A), 18);
        byte[] pointerLoop = {0x43, 0x43, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, (byte) 0xc0, 0x0c, 0, 1, 0, 1};
        byte[] noQuestion = {0x44, 0x44, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
        vertx.executeBlocking(() -> List.of(
                        DnsTestClient.udp(filter.udpPort(), truncated),
                        DnsTestClient.udp(filter.udpPort(), pointerLoop),
                        DnsTestClient.udp(filter.udpPort(), noQuestion),
                        DnsTestClient.tcp(filter.tcpPort(), truncated, DnsTestClient.query(0x4545, "api.example.com", DnsRecordType.A))))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    DnsTestClient.Reply udpTruncated = (DnsTestClient.Reply) r.get(0);
                    assertThat(udpTruncated.id()).isEqualTo(0x4242);
                    assertThat(udpTruncated.code()).isEqualTo(DnsResponseCode.FORMERR);
                    assertThat(((DnsTestClient.Reply) r.get(1)).code()).isEqualTo(DnsResponseCode.FORMERR);
                    assertThat(((DnsTestClient.Reply) r.get(1)).id()).isEqualTo(0x4343);
                    assertThat(((DnsTestClient.Reply) r.get(2)).code()).isEqualTo(DnsResponseCode.FORMERR);
                    @SuppressWarnings("unchecked")
                    List<DnsTestClient.Reply> tcp = (List<DnsTestClient.Reply>) r.get(3);
                    DnsTestClient.Reply formerr = tcp.stream().filter(x -> x.id() == 0x4242).findFirst().orElseThrow();
                    DnsTestClient.Reply good = tcp.stream().filter(x -> x.id() == 0x4545).findFirst().orElseThrow();
                    assertThat(formerr.code()).isEqualTo(DnsResponseCode.FORMERR);
                    assertThat(good.code()).as("the connection still serves after a bad message")
                            .isEqualTo(DnsResponseCode.NOERROR);
                    assertThat(audit.events()).hasSize(1); // only the good query was a decision
                    ctx.completeNow();
                })));
    }

    @Test
    void garbledPacketsAreDroppedAndTheServerKeepsServing(Vertx vertx, VertxTestContext ctx) {
        byte[] oneByte = {0x01};
        byte[] response = DnsTestClient.query(0x5151, "api.example.com", DnsRecordType.A);
        response[2] |= (byte) 0x80; // QR = response
        byte[] oversize = new byte[5000];
        System.arraycopy(DnsTestClient.query(0x5252, "api.example.com", DnsRecordType.A), 0, oversize, 0, 33);
        vertx.executeBlocking(() -> List.of(
                        DnsTestClient.udpSilent(filter.udpPort(), oneByte, 300),
                        DnsTestClient.udpSilent(filter.udpPort(), response, 300),
                        DnsTestClient.udpSilent(filter.udpPort(), oversize, 300),
                        DnsTestClient.udp(filter.udpPort(), DnsTestClient.query(0x5353, "api.example.com", DnsRecordType.A))))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertThat(r.subList(0, 3)).containsOnly(true);
                    assertThat(((DnsTestClient.Reply) r.get(3)).code()).isEqualTo(DnsResponseCode.NOERROR);
                    ctx.completeNow();
                })));
    }

    @Test
    void rememberedAnswersExpireWithTheirTtl(Vertx vertx, VertxTestContext ctx) {
        vertx.executeBlocking(() -> DnsTestClient.udp(filter.udpPort(), DnsTestClient.query(11, "api.example.com", DnsRecordType.A)))
                .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
                    InetAddress a = ip("93.184.216.34");
                    clock.advance(Duration.ofSeconds(119));
                    assertThat(resolvedNames.namesFor(SANDBOX, a)).containsExactly("api.example.com");
                    assertThat(connect("api.example.com", a, resolvedNames.namesFor(SANDBOX, a)).allowed()).isTrue();
                    clock.advance(Duration.ofSeconds(2));
                    assertThat(resolvedNames.namesFor(SANDBOX, a)).isEmpty();
                    assertThat(connect("api.example.com", a, resolvedNames.namesFor(SANDBOX, a)).reason())
                            .isEqualTo(ReasonCode.NAME_NOT_RESOLVED);
                    ctx.completeNow();
                })));
    }

    @Test
    void onlyAddressTypesAreResolved(Vertx vertx, VertxTestContext ctx) {
        vertx.executeBlocking(() -> DnsTestClient.udp(filter.udpPort(), DnsTestClient.query(12, "api.example.com", DnsRecordType.TXT)))
                .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
                    assertThat(reply.code()).isEqualTo(DnsResponseCode.NOERROR);
                    assertThat(reply.answers()).isEmpty();
                    assertThat(upstream.questions).isEmpty();
                    assertThat(only(audit.events()).detail()).startsWith("TXT -> NODATA");
                    ctx.completeNow();
                })));
    }

    @Test
    void upstreamNxdomainForAnAllowedNamePassesThrough(Vertx vertx, VertxTestContext ctx) {
        vertx.executeBlocking(() -> DnsTestClient.udp(filter.udpPort(), DnsTestClient.query(13, "nothing.example.com", DnsRecordType.A)))
                .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
                    assertThat(reply.code()).isEqualTo(DnsResponseCode.NXDOMAIN);
                    AuditEvent e = only(audit.events());
                    assertThat(e.decision()).isEqualTo("allow");
                    assertThat(e.detail()).isEqualTo("A -> NXDOMAIN");
                    ctx.completeNow();
                })));
    }

    @Test
    void silentUpstreamGivesServfail(Vertx vertx, VertxTestContext ctx) throws Exception {
        DatagramSocket blackHole = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        DnsFilterVerticle slow = new DnsFilterVerticle(SANDBOX, DnsFilterOptions.loopback(0), decider, resolvedNames,
                audit, NettyUpstreamResolver.server((InetSocketAddress) blackHole.getLocalSocketAddress(),
                Duration.ofMillis(300)), clock);
        vertx.deployVerticle(slow)
                .compose(id -> vertx.executeBlocking(() ->
                        DnsTestClient.udp(slow.udpPort(), DnsTestClient.query(14, "api.example.com", DnsRecordType.A))))
                .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
                    blackHole.close();
                    assertThat(reply.code()).isEqualTo(DnsResponseCode.SERVFAIL);
                    assertThat(only(audit.events()).detail()).startsWith("A -> SERVFAIL (upstream:");
                    ctx.completeNow();
                })));
    }

    @Test
    void bindsToLoopbackOnly() {
        assertThatThrownBy(() -> new DnsFilterOptions(ip("0.0.0.0"), 0, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .hasMessageContaining("binds to loopback only");
    }

    @Test
    void busyPortFailsDeploymentWithAClearError(Vertx vertx, VertxTestContext ctx) {
        DnsFilterVerticle second = new DnsFilterVerticle(SANDBOX, DnsFilterOptions.loopback(filter.tcpPort()), decider,
                resolvedNames, audit, NettyUpstreamResolver.server(upstream.address(), Duration.ofSeconds(1)), clock);
        vertx.deployVerticle(second).onComplete(ctx.failing(err -> ctx.verify(() -> {
            assertThat(err).hasMessageContaining("cannot listen on").hasMessageContaining(":" + filter.tcpPort());
            ctx.completeNow();
        })));
    }

    private EgressDecision connect(String sni, InetAddress address, Set<String> resolved) {
        return decider.decide(new EgressRequest(SANDBOX, address, 443, Optional.of(sni), Optional.empty(),
                Optional.empty(), resolved));
    }

    private static AuditEvent only(List<AuditEvent> events) {
        assertThat(events).hasSize(1);
        return events.get(0);
    }

    private static InetAddress ip(String literal) {
        return IpAddresses.parseLiteral(literal).orElseThrow();
    }
}
