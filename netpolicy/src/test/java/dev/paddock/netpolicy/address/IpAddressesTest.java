package dev.paddock.netpolicy.address;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class IpAddressesTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "1.2.3.4,                   1.2.3.4",
            "255.255.255.255,           255.255.255.255",
            "::1,                       ::1",
            "[::1],                     ::1",
            "2001:DB8:0:0:0:0:0:1,      2001:db8::1",
            "2001:db8:0:1:0:0:0:0,      2001:db8:0:1::",
            "::ffff:127.0.0.1,          127.0.0.1",
            "::ffff:7f00:1,             127.0.0.1",
            "fe80::1,                   fe80::1",
    })
    void parsesLiterals(String text, String canonical) {
        assertThat(IpAddresses.parseLiteral(text).map(IpAddresses::toText)).contains(canonical);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "01.2.3.4", "0x7f.0.0.1", "2130706433", "256.1.1.1", "1.2.3.-4",
            "example.com", "fe80::1%eth0", "[1.2.3.4]", "1.2.3.4 ", "::g", "localhost"})
    void refusesNonLiteralsWithoutLookingThemUp(String text) {
        assertThat(IpAddresses.parseLiteral(text)).isEmpty();
    }

    @Test
    void normalizesARealMappedInet6Address() throws Exception {
        byte[] b = new byte[16];
        b[10] = (byte) 0xff;
        b[11] = (byte) 0xff;
        b[12] = 127;
        b[15] = 1;
        InetAddress mapped = Inet6Address.getByAddress(null, b, -1);
        assertThat(mapped).isInstanceOf(Inet6Address.class);
        assertThat(IpAddresses.normalize(mapped)).isEqualTo(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
    }

    @ParameterizedTest(name = "{0} embeds {1}")
    @CsvSource({
            "::127.0.0.1,        127.0.0.1",
            "::a00:1,            10.0.0.1",
            "64:ff9b::7f00:1,    127.0.0.1",
            "64:ff9b::c000:20a,  192.0.2.10",
    })
    void findsEmbeddedIpv4(String v6, String v4) {
        assertThat(IpAddresses.embeddedIpv4(IpAddresses.parseLiteral(v6).orElseThrow()).map(IpAddresses::toText))
                .contains(v4);
    }

    @ParameterizedTest
    @ValueSource(strings = {"::", "::1", "2001:db8::1", "64:ff9b:1::1", "1.2.3.4"})
    void noEmbeddedIpv4(String text) {
        assertThat(IpAddresses.embeddedIpv4(IpAddresses.parseLiteral(text).orElseThrow())).isEmpty();
    }
}
