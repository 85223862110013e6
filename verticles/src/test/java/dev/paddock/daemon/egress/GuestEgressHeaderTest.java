package dev.paddock.daemon.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class GuestEgressHeaderTest {

    @Test
    void ipv4HeaderAndTheBytesAfterIt() {
        var p = GuestEgressHeader.parse(Buffer.buffer("PADDOCK-DST 93.184.216.34 443\nGET /")).orElseThrow();
        assertThat(p.destination()).isEqualTo(new InetSocketAddress("93.184.216.34", 443));
        assertThat(p.rest().toString()).isEqualTo("GET /");
    }

    @Test
    void ipv6Header() {
        var p = GuestEgressHeader.parse(Buffer.buffer("PADDOCK-DST 2001:db8::1 8443\n")).orElseThrow();
        assertThat(p.destination()).isEqualTo(new InetSocketAddress("2001:db8::1", 8443));
        assertThat(p.rest().length()).isZero();
    }

    @Test
    void theAgentsLongestLineFits() {
        String line = "PADDOCK-DST abab:abab:abab:abab:abab:abab:abab:abab 65535\n";
        assertThat(GuestEgressHeader.parse(Buffer.buffer(line))).isPresent();
    }

    @Test
    void waitsForTheNewline() {
        assertThat(GuestEgressHeader.parse(Buffer.buffer("PADDOCK-DST 10.0.0.1 8"))).isEmpty();
    }

    @Test
    void refusesALineWithoutNewlineAtTheBound() {
        assertThatThrownBy(() -> GuestEgressHeader.parse(Buffer.buffer("P".repeat(GuestEgressHeader.MAX_LINE))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than 80 bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "PADDOCK-DST 10.0.0.1 0",                 // port 0
        "PADDOCK-DST 10.0.0.1 65536",             // port over 65535
        "PADDOCK-DST example.com 443",            // a name: the guest gives addresses only
        "PADDOCK-DST 10.0.0.1 443 other-sandbox", // no room for a sandbox id, or anything else
        "PADDOCK-EGRESS 1 other 10.0.0.1 443",    // the host's own hand-off line
        "PADDOCK-DST 10.0.0.1 443\r",             // CR
        "PADDOCK-DST 999.0.0.1 443",              // not an address
        "PADDOCK-DST  10.0.0.1 443",              // two spaces
        "PADDOCK-DST 10.0.0.1 0443",              // leading zero
        "",                                        // empty line
    })
    void refusesMalformedLines(String line) {
        assertThatThrownBy(() -> GuestEgressHeader.parse(Buffer.buffer(line + "\n")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PADDOCK-DST <ip> <port>");
    }

    @Test
    void aNewlineAfterTheBoundDoesNotCount() {
        String line = "PADDOCK-DST 10.0.0.1 " + "1".repeat(70) + "\n";
        assertThatThrownBy(() -> GuestEgressHeader.parse(Buffer.buffer(line)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
