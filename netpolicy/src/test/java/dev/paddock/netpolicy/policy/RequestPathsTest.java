package dev.paddock.netpolicy.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestPathsTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "/,                 /",
            "/a/b,              /a/b",
            "//a///b,           /a/b",
            "/a/b/,             /a/b/",
            "/a?x=/../../etc,   /a",
            "/a#frag,           /a",
            "/a%20b,            /a%20b",
    })
    void canonical(String raw, String canonical) {
        assertThat(RequestPaths.canonical(raw)).contains(canonical);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/b", "/a/../b", "/a/./b", "/..", "/a/%2e%2e/b", "/a%2Fb", "/a%5cb", "/a\\b",
            "/a b", "*", "http://x/a"})
    void refused(String raw) {
        assertThat(RequestPaths.canonical(raw)).isEmpty();
    }

    @ParameterizedTest(name = "{0} vs {1}: {2}")
    @CsvSource({
            "/repos/**,   /repos/a/b/c, true",
            "/repos/**,   /repos/,      true",
            "/repos/**,   /repository,  false",
            "/repos/*,    /repos/a,     true",
            "/repos/*,    /repos/a/b,   false",
            "/v1/*/items, /v1/x/items,  true",
            "/v1/*/items, /v1/x/y/items, false",
            "/exact,      /exact,       true",
            "/exact,      /exact/more,  false",
            "/a.b,        /axb,         false",
    })
    void pathPatterns(String pattern, String path, boolean expected) {
        assertThat(PathPattern.parse(pattern).pattern().orElseThrow().matches(path)).isEqualTo(expected);
    }
}
