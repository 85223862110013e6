package dev.paddock.cli.egress;

import static dev.paddock.cli.FakeDaemon.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.FakeDaemon;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `paddock policy` and `paddock secret` against canned answers. */
class EgressCommandsTest {
    @TempDir
    Path state;

    FakeDaemon daemon;

    @BeforeEach
    void start() {
        daemon = FakeDaemon.onSocket(state);
    }

    @AfterEach
    void stop() {
        daemon.close();
    }

    @Test
    void policyGetPrintsTheDocumentAndSetSendsIt() throws Exception {
        JsonObject doc = new JsonObject().put("preset", "balanced");
        daemon.answer("GET", "/v1/sandboxes/box/policy", 200, new JsonObject().put("scope", "sandbox").put("version", 3).put("document", doc));
        FakeDaemon.Result get = daemon.run("policy", "get", "--sandbox", "box");
        assertThat(new JsonObject(get.out())).isEqualTo(doc);
        assertThat(get.err()).contains("sandbox policy, version 3");

        Path file = Files.writeString(state.resolve("p.json"), "{\"preset\":\"locked-down\"}");
        daemon.route("PUT", "/v1/policy", r -> json(r, 200, new JsonObject().put("scope", "global").put("version", 4)
                .put("document", new JsonObject().put("preset", "locked-down"))));
        FakeDaemon.Result set = daemon.run("policy", "set", file.toString());
        assertThat(set.status()).as(set.err()).isZero();
        assertThat(new JsonObject(daemon.calls().get(1).body())).isEqualTo(new JsonObject().put("preset", "locked-down"));

        FakeDaemon.Result fromStdin = daemon.run(Map.of(), "{\"preset\":\"open\"}", "policy", "set", "-");
        assertThat(fromStdin.status()).isZero();
        assertThat(new JsonObject(daemon.calls().get(2).body())).isEqualTo(new JsonObject().put("preset", "open"));
    }

    @Test
    void aRefusedPolicyListsEveryProblem() {
        daemon.answer("PUT", "/v1/policy", 400, new JsonObject().put("error", "the policy has 2 problems").put("code", "POLICY_INVALID")
                .put("details", new JsonArray().add("rules[0]: no domain").add("default: \"maybe\" is not allow or deny")));
        FakeDaemon.Result r = daemon.run(Map.of(), "{\"rules\":[{}]}", "policy", "set", "-");
        assertThat(r.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.err()).contains("paddock:   rules[0]: no domain", "paddock:   default: \"maybe\"",
                "paddock: the policy has 2 problems");
        FakeDaemon.Result notJson = daemon.run(Map.of(), "nope", "policy", "set", "-");
        assertThat(notJson.status()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void secretsAreSetFromStdinAndNeverPrinted() {
        daemon.route("PUT", "/v1/secrets/gh-token", r -> json(r, 200, new JsonObject().put("name", "gh-token")
                .put("placeholder", "paddock-secret:gh-token").put("hosts", new JsonArray().add("api.github.com"))
                .put("header", "Authorization")));
        FakeDaemon.Result r = daemon.run(Map.of(), "s3cr3t\n", "secret", "set", "gh-token", "--host", "api.github.com",
                "--format", "Bearer {value}");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(new JsonObject(daemon.calls().get(0).body())).isEqualTo(new JsonObject().put("value", "s3cr3t")
                .put("hosts", new JsonArray().add("api.github.com"))
                .put("inject", new JsonObject().put("header", "Authorization").put("format", "Bearer {value}")));
        assertThat(r.out() + r.err()).doesNotContain("s3cr3t").contains("paddock-secret:gh-token");

        FakeDaemon.Result fromEnv = daemon.run(Map.of("TOKEN", "abc"), "", "secret", "set", "gh-token", "--host", "x", "--from-env", "TOKEN");
        assertThat(fromEnv.status()).isZero();
        assertThat(new JsonObject(daemon.calls().get(1).body()).getString("value")).isEqualTo("abc");

        assertThat(daemon.run(Map.of(), "", "secret", "set", "gh-token", "--host", "x").status()).isEqualTo(ExitCodes.USAGE);
        assertThat(daemon.run(Map.of(), "v", "secret", "set", "gh-token").status()).as("--host is required").isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void secretLsAndRm() {
        daemon.answer("GET", "/v1/secrets", 200, new JsonObject().put("secrets", new JsonArray().add(new JsonObject()
                .put("name", "gh").put("placeholder", "paddock-secret:gh").put("hosts", new JsonArray().add("api.github.com"))
                .put("header", "Authorization"))));
        assertThat(daemon.run("secret", "ls").out().lines()).containsExactly(
                "NAME  PLACEHOLDER        HOSTS           HEADER", "gh    paddock-secret:gh  api.github.com  Authorization");
        FakeDaemon.Result rm = daemon.run("secret", "rm", "nope");
        assertThat(rm.status()).isEqualTo(ExitCodes.NOT_FOUND);
    }
}
