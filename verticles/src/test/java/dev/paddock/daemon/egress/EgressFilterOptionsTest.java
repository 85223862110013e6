package dev.paddock.daemon.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EgressFilterOptionsTest {
    @Test
    void noKnobsMeansDirectDiallingAndTheHostsResolvers() {
        EgressFilterOptions o = EgressFilterOptions.fromEnvironment(Map.of());
        InetSocketAddress d = new InetSocketAddress("203.0.113.10", 443);
        assertThat(o.dialRoute().apply(d)).isSameAs(d);
        assertThat(o.dnsServer()).isEmpty();
        assertThat(o.extraCa()).isEmpty();
        assertThat(o.classifyTimeout()).hasMillis(EgressFilterOptions.DEFAULT_CLASSIFY_TIMEOUT_MS);
    }

    @Test
    void theClassifyTimeoutIsAPositiveNumberOfMilliseconds() {
        assertThat(EgressFilterOptions.fromEnvironment(Map.of("PADDOCK_EGRESS_CLASSIFY_TIMEOUT_MS", "20000"))
                .classifyTimeout()).hasSeconds(20);
        for (String bad : new String[] {"0", "-5", "2s", "600001"}) {
            assertThatThrownBy(() -> EgressFilterOptions.fromEnvironment(Map.of("PADDOCK_EGRESS_CLASSIFY_TIMEOUT_MS", bad)))
                    .as(bad).hasMessageContaining("PADDOCK_EGRESS_CLASSIFY_TIMEOUT_MS").hasMessageContaining(bad);
        }
    }

    @Test
    void dialRouteMapsOnlyTheNamedDestinations() {
        EgressFilterOptions o = EgressFilterOptions.fromEnvironment(Map.of(
                "PADDOCK_EGRESS_DIAL_ROUTE", "203.0.113.10:443=127.0.0.1:8443, [2001:db8::1]:80=127.0.0.1:8080",
                "PADDOCK_EGRESS_DNS_SERVER", "127.0.0.1:5353", "PADDOCK_EGRESS_EXTRA_CA", "/tmp/ca.pem"));
        assertThat(o.dialRoute().apply(new InetSocketAddress("203.0.113.10", 443)))
                .isEqualTo(new InetSocketAddress("127.0.0.1", 8443));
        assertThat(o.dialRoute().apply(new InetSocketAddress("2001:db8::1", 80)))
                .isEqualTo(new InetSocketAddress("127.0.0.1", 8080));
        assertThat(o.dialRoute().apply(new InetSocketAddress("203.0.113.10", 80)))
                .isEqualTo(new InetSocketAddress("203.0.113.10", 80));
        assertThat(o.dnsServer()).contains(new InetSocketAddress("127.0.0.1", 5353));
        assertThat(o.extraCa()).contains(Path.of("/tmp/ca.pem"));
    }

    @Test
    void badEntriesNameTheKnob() {
        assertThatThrownBy(() -> EgressFilterOptions.fromEnvironment(Map.of("PADDOCK_EGRESS_DIAL_ROUTE", "a=b=c")))
                .hasMessageContaining("PADDOCK_EGRESS_DIAL_ROUTE");
        assertThatThrownBy(() -> EgressFilterOptions.fromEnvironment(Map.of("PADDOCK_EGRESS_DNS_SERVER", "dns.example:53")))
                .hasMessageContaining("PADDOCK_EGRESS_DNS_SERVER").hasMessageContaining("IP literal");
        assertThatThrownBy(() -> EgressFilterOptions.fromEnvironment(Map.of("PADDOCK_EGRESS_DNS_SERVER", "127.0.0.1:0")))
                .hasMessageContaining("PADDOCK_EGRESS_DNS_SERVER");
    }
}
