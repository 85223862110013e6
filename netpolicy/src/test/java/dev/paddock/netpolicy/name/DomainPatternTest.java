package dev.paddock.netpolicy.name;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DomainPatternTest {

    @ParameterizedTest(name = "{0} vs {1} -> {2}")
    @CsvSource({
            "example.com,          example.com,          true",
            "example.com,          EXAMPLE.com.,         true",
            "example.com,          www.example.com,      false",
            "*.example.com,        www.example.com,      true",
            "*.example.com,        a.b.example.com,      false",
            "*.example.com,        example.com,          false",
            "*.example.com,        wwwexample.com,       false",
            "**.example.com,       www.example.com,      true",
            "**.example.com,       a.b.c.example.com,    true",
            "**.example.com,       example.com,          false",
            "**.example.com,       badexample.com,       false",
            "**.example.com,       example.com.evil.net, false",
            "*.co.uk,              example.co.uk,        true",
            "xn--bcher-kva.example, XN--BCHER-KVA.example, true",
    })
    void matches(String pattern, String name, boolean expected) {
        DomainPattern p = DomainPattern.parse(pattern).pattern().orElseThrow();
        DomainName n = DomainName.parse(name).orElseThrow();
        assertThat(p.matches(n)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "a.*.b               | wildcard that is not the whole leftmost label",
            "*foo.example.com    | wildcard that is not the whole leftmost label",
            "*.*.example.com     | wildcard that is not the whole leftmost label",
            "***.example.com     | wildcard that is not the whole leftmost label",
            "example.*           | wildcard that is not the whole leftmost label",
            "*                   | wildcard that is not the whole leftmost label",
            "*.com               | directly on the top-level domain",
            "**.com              | directly on the top-level domain",
            "exa mple.com        | contains ' '",
            "-example.com        | starts or ends with '-'",
            "example..com        | empty label",
            "example.123         | all-numeric label",
    })
    void rejects(String pattern, String problem) {
        DomainPattern.Parsed parsed = DomainPattern.parse(pattern);
        assertThat(parsed.pattern()).isEmpty();
        assertThat(parsed.problem()).contains(problem);
    }

    @ParameterizedTest
    @CsvSource({"example.com", "*.example.com", "**.example.com"})
    void printsAsWritten(String pattern) {
        assertThat(DomainPattern.parse(pattern).pattern().orElseThrow()).hasToString(pattern);
    }
}
