package dev.paddock.netpolicy.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.netpolicy.name.DomainName;
import dev.paddock.netpolicy.name.DomainPattern;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretStoreTest {
    @TempDir
    Path tmp;

    static Secret github(String value) {
        return new Secret("github", value, List.of(DomainPattern.parse("api.github.com").pattern().orElseThrow()),
                new SecretInjection("Authorization", Optional.of("Bearer {value}")));
    }

    @Test
    void storesInA0600FileUnderA0700DirectoryAndReadsItBack() throws IOException {
        Path dir = tmp.resolve("state");
        SecretStore store = SecretStore.open(dir);
        assertThat(store.put(github("ghp_realvalue"))).isEqualTo("paddock-secret:github");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file()))).isEqualTo("rw-------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly("secrets.json");
        }

        SecretStore again = SecretStore.open(dir);
        Secret s = again.snapshot().all().get(0);
        assertThat(s.value()).isEqualTo("ghp_realvalue");
        assertThat(s.hosts()).hasToString("[api.github.com]");
        assertThat(s.inject().header()).isEqualTo("authorization");
    }

    @Test
    void listNeverReturnsValues() throws IOException {
        SecretStore store = SecretStore.open(tmp.resolve("s"));
        store.put(github("ghp_topsecret_1234"));
        List<SecretInfo> list = store.list();
        assertThat(list).hasSize(1);
        assertThat(list.get(0).placeholder()).isEqualTo("paddock-secret:github");
        assertThat(list.toString()).doesNotContain("ghp_topsecret_1234");
        assertThat(store.snapshot().all().get(0).toString()).doesNotContain("ghp_topsecret_1234");
    }

    @Test
    void replaceAndRemoveRewriteTheFile() throws IOException {
        Path dir = tmp.resolve("s");
        SecretStore store = SecretStore.open(dir);
        store.put(github("one"));
        store.put(github("two"));
        assertThat(SecretStore.open(dir).snapshot().all()).singleElement().extracting(Secret::value).isEqualTo("two");
        assertThat(store.remove("github")).isTrue();
        assertThat(store.remove("github")).isFalse();
        assertThat(SecretStore.open(dir).list()).isEmpty();
    }

    @Test
    void refusesAFileOthersCanRead() throws IOException {
        Path dir = tmp.resolve("s");
        SecretStore.open(dir).put(github("v"));
        Files.setPosixFilePermissions(dir.resolve("secrets.json"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> SecretStore.open(dir)).isInstanceOf(IOException.class)
                .hasMessageContaining("rw-r--r--").hasMessageContaining("chmod 600");
    }

    @Test
    void refusesADirectoryOthersCanEnter() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThatThrownBy(() -> SecretStore.open(dir)).hasMessageContaining("chmod 700");
    }

    @Test
    void corruptFileIsReportedWithoutQuotingItsContent() throws IOException {
        Path dir = tmp.resolve("s");
        SecretStore.open(dir);
        Path f = dir.resolve("secrets.json");
        Files.writeString(f, "{\"version\":1,\"secrets\":[{\"name\":\"x\",\"value\": sup3rsecret }]}");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> SecretStore.open(dir)).hasMessageContaining("not valid JSON at line 1")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("sup3rsecret"));
    }

    @Test
    void validationNamesTheProblem() {
        assertThatThrownBy(() -> Placeholders.of("Bad Name")).hasMessageContaining("'Bad Name'");
        assertThatThrownBy(() -> github("line\r\nX-Evil: 1")).hasMessageContaining("control");
        assertThatThrownBy(() -> github("paddock-secret:other")).hasMessageContaining("not a placeholder");
        assertThatThrownBy(() -> new SecretInjection("Bad Header", Optional.empty())).hasMessageContaining("Bad Header");
        assertThatThrownBy(() -> new SecretInjection("X", Optional.of("no token"))).hasMessageContaining("{value}");
        assertThatThrownBy(() -> new Secret("x", "v", List.of(), new SecretInjection("X", Optional.empty())))
                .hasMessageContaining("bound to no host");
    }

    @Test
    void rewriteReplacesPlaceholdersOnlyForBoundHostsAndOnlyInTheNamedHeader() {
        Secrets secrets = Secrets.of(List.of(github("ghp_real"),
                new Secret("npm", "npm_real", List.of(DomainPattern.parse("**.npmjs.org").pattern().orElseThrow()),
                        new SecretInjection("X-Npm-Token", Optional.empty()))));
        List<HeaderField> sent = List.of(new HeaderField("Authorization", "Bearer paddock-secret:github"),
                new HeaderField("X-Other", "paddock-secret:github"),
                new HeaderField("X-Npm-Token", "paddock-secret:npm"));

        Secrets.Rewritten gh = secrets.rewrite(new DomainName("api.github.com"), sent);
        assertThat(gh.headers()).containsExactly(new HeaderField("Authorization", "Bearer ghp_real"),
                new HeaderField("X-Other", "paddock-secret:github"),
                new HeaderField("X-Npm-Token", "paddock-secret:npm"));
        assertThat(gh.secretsUsed()).containsExactly("github");

        Secrets.Rewritten elsewhere = secrets.rewrite(new DomainName("evil.example"), sent);
        assertThat(elsewhere.headers()).isEqualTo(sent);
        assertThat(elsewhere.secretsUsed()).isEmpty();

        Secrets.Rewritten npm = secrets.rewrite(new DomainName("registry.npmjs.org"), List.of());
        assertThat(npm.headers()).isEmpty(); // no format: nothing added
        Secrets.Rewritten added = secrets.rewrite(new DomainName("api.github.com"), List.of());
        assertThat(added.headers()).containsExactly(new HeaderField("authorization", "Bearer ghp_real"));
        assertThat(secrets.anyBoundTo(new DomainName("registry.npmjs.org"))).isTrue();
        assertThat(secrets.anyBoundTo(new DomainName("npmjs.org"))).isFalse();
    }
}
