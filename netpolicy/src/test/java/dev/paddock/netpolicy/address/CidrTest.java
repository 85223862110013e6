package dev.paddock.netpolicy.address;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CidrTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource({
            "10.0.0.0/8,          10.255.1.2,        true",
            "10.0.0.0/8,          11.0.0.1,          false",
            "172.16.0.0/12,       172.31.255.255,    true",
            "172.16.0.0/12,       172.32.0.0,        false",
            "0.0.0.0/0,           8.8.8.8,           true",
            "0.0.0.0/0,           2001:db8::1,       false",
            "::/0,                2001:db8::1,       true",
            "::/0,                8.8.8.8,           false",
            "2001:db8::/32,       2001:db8:ffff::1,  true",
            "2001:db8::/32,       2001:db9::1,       false",
            "203.0.113.7,         203.0.113.7,       true",
            "203.0.113.7,         203.0.113.8,       false",
            "::ffff:10.0.0.0/104, 10.1.2.3,          true",
            "10.0.0.0/8,          ::ffff:10.1.2.3,   true",
            "fe80::/10,           febf::1,           true",
            "fe80::/10,           fec0::1,           false",
    })
    void contains(String cidr, String address, boolean expected) {
        Cidr c = Cidr.parse(cidr).cidr().orElseThrow();
        assertThat(c.contains(IpAddresses.parseLiteral(address).orElseThrow())).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "10.0.0.1/8          | host bits set; write '10.0.0.0/8'",
            "10.0.0.0/33         | larger than 32 for IPv4",
            "2001:db8::/129      | larger than 128 for IPv6",
            "10.0.0.0/           | is not a number",
            "10.0.0.0/-1         | is not a number",
            "10.0.0/8            | is not an IPv4 or IPv6 address",
            "010.0.0.0/8         | is not an IPv4 or IPv6 address",
            "example.com/24      | is not an IPv4 or IPv6 address",
            "::ffff:10.0.0.0/90  | at least 96",
    })
    void rejects(String text, String problem) {
        Cidr.Parsed p = Cidr.parse(text);
        assertThat(p.cidr()).isEmpty();
        assertThat(p.problem()).contains(problem);
    }

    @Test
    void withinPrivateBlock() {
        assertThat(Cidr.of("10.1.0.0/16").within(Cidr.of("10.0.0.0/8"))).isTrue();
        assertThat(Cidr.of("0.0.0.0/0").within(Cidr.of("10.0.0.0/8"))).isFalse();
        assertThat(Cidr.of("10.0.0.0/8").within(Cidr.of("10.0.0.0/8"))).isTrue();
        assertThat(Cidr.of("fd00::/8").within(Cidr.of("10.0.0.0/8"))).isFalse();
    }

    @Test
    void mappedBlockIsTheIpv4Block() {
        Cidr c = Cidr.of("::ffff:10.0.0.0/104");
        assertThat(c.network()).isInstanceOf(Inet4Address.class);
        assertThat(c).hasToString("10.0.0.0/8");
    }
}
