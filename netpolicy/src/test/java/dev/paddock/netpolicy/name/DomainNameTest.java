package dev.paddock.netpolicy.name;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DomainNameTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "Example.COM,             example.com",
            "example.com.,            example.com",
            "xn--bcher-kva.example,   xn--bcher-kva.example",
            "a-b.c1.example,          a-b.c1.example",
            "localhost,               localhost",
            "123.example.com,         123.example.com",
    })
    void canonicalizes(String raw, String canonical) {
        assertThat(DomainName.parse(raw)).map(DomainName::value).contains(canonical);
    }

    @ParameterizedTest(name = "[{index}] ''{0}''")
    @CsvSource(delimiter = '|', value = {
            "''                        | empty",
            "'.'                       | empty",
            "example..com              | empty label",
            ".example.com              | empty label",
            "exam_ple.com              | contains '_'",
            "exämple.com               | contains '\\u00e4'",
            "-a.example.com            | starts or ends with '-'",
            "a-.example.com            | starts or ends with '-'",
            "127.0.0.1                 | all-numeric label",
            "0x7f.1                    | all-numeric label",
    })
    void rejects(String raw, String problem) {
        assertThat(DomainName.parse(raw)).isEmpty();
        assertThat(DomainName.problem(DomainName.canonicalize(raw))).contains(problem);
    }

    @Test
    void labelLengthBoundary() {
        assertThat(DomainName.parse("a".repeat(63) + ".example.com")).isPresent();
        assertThat(DomainName.problem("a".repeat(64) + ".example.com")).contains("label of 64 characters");
    }

    @Test
    void nameLengthBoundary() {
        String longest = ("a".repeat(62) + ".").repeat(4) + "b"; // 4 * 63 + 1 = 253
        assertThat(longest).hasSize(253);
        assertThat(DomainName.parse(longest)).isPresent();
        assertThat(DomainName.problem(longest + "b")).contains("254 characters long");
    }

    @Test
    void constructorRefusesNonCanonical() {
        assertThatThrownBy(() -> new DomainName("bad name")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("contains ' '");
    }
}
