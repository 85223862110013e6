package dev.paddock.daemon.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretEnvTest {
    @Test
    void eachNamedSecretGetsItsPlaceholderNeverAValue() {
        Map<String, String> env = SecretEnv.withPlaceholders(Map.of("A", "1"), List.of("github", "npm.token-x"));
        assertThat(env).containsEntry("PADDOCK_SECRET_GITHUB", "paddock-secret:github")
                .containsEntry("PADDOCK_SECRET_NPM_TOKEN_X", "paddock-secret:npm.token-x")
                .containsEntry("A", "1").hasSize(3);
    }

    @Test
    void aVariableTheSandboxSetsWins() {
        Map<String, String> env = SecretEnv.withPlaceholders(Map.of("PADDOCK_SECRET_GITHUB", "custom"),
                List.of("github"));
        assertThat(env).containsExactly(Map.entry("PADDOCK_SECRET_GITHUB", "custom"));
    }

    @Test
    void noSecretsNoVariables() {
        assertThat(SecretEnv.withPlaceholders(Map.of(), List.of())).isEmpty();
    }
}
