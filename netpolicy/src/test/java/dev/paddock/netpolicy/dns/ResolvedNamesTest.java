package dev.paddock.netpolicy.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.netpolicy.address.IpAddresses;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ResolvedNamesTest {
    final MutableClock clock = new MutableClock();
    final ResolvedNames names = new ResolvedNames(clock, Duration.ofSeconds(30), Duration.ofHours(1), 3);

    @ParameterizedTest(name = "ttl {0}s is kept {1}s")
    @CsvSource({"0, 30", "5, 30", "30, 30", "120, 120", "3600, 3600", "86400, 3600", "-1, 30"})
    void ttlIsClamped(long ttl, long keptSeconds) {
        names.remember("sb", "a.example.com", ip("1.1.1.1"), ttl);
        clock.advance(Duration.ofSeconds(keptSeconds - 1));
        assertThat(names.namesFor("sb", ip("1.1.1.1"))).containsExactly("a.example.com");
        clock.advance(Duration.ofSeconds(1));
        assertThat(names.namesFor("sb", ip("1.1.1.1"))).isEmpty();
    }

    @Test
    void namesAreCanonicalAndAddressesNormalized() {
        names.remember("sb", "A.Example.COM.", ip("::ffff:1.2.3.4"), 60);
        assertThat(names.namesFor("sb", ip("1.2.3.4"))).containsExactly("a.example.com");
    }

    @Test
    void boundedPerSandboxEvictingExpiredThenSoonest() {
        names.remember("sb", "a.example.com", ip("1.1.1.1"), 40);
        names.remember("sb", "b.example.com", ip("1.1.1.2"), 600);
        names.remember("sb", "c.example.com", ip("1.1.1.3"), 300);
        names.remember("sb", "d.example.com", ip("1.1.1.4"), 300); // full: a (soonest) goes
        assertThat(names.size("sb")).isEqualTo(3);
        assertThat(names.namesFor("sb", ip("1.1.1.1"))).isEmpty();
        clock.advance(Duration.ofSeconds(400)); // c and d expired
        names.remember("sb", "e.example.com", ip("1.1.1.5"), 300);
        assertThat(names.size("sb")).isEqualTo(2);
        assertThat(names.namesFor("sb", ip("1.1.1.2"))).containsExactly("b.example.com");
        assertThat(names.namesFor("other", ip("1.1.1.2"))).isEmpty();
    }

    @Test
    void refusesInvalidNames() {
        assertThatThrownBy(() -> names.remember("sb", "bad name", ip("1.1.1.1"), 60))
                .hasMessageContaining("cannot remember 'bad name'");
    }

    private static InetAddress ip(String s) {
        return IpAddresses.parseLiteral(s).orElseThrow();
    }
}
