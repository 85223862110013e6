package dev.paddock.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.sandbox.SandboxSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GuestEnvTest {
    private static SandboxSpec spec(Map<String, String> env, List<String> secrets) {
        return new SandboxSpec("s", "default", null, 2, 2048, 20, List.of(), env, secrets, List.of(), Map.of());
    }

    @Test
    void everyProgramGetsAPathAndTheImagesUsersTheirLogin() {
        SandboxSpec plain = spec(Map.of(), List.of());
        assertThat(GuestEnv.of(plain, Map.of(), "")).containsEntry("PATH", GuestEnv.PATH)
                .containsEntry("HOME", "/root").containsEntry("USER", "root").containsEntry("LOGNAME", "root");
        assertThat(GuestEnv.of(plain, Map.of(), "agent")).containsEntry("PATH", GuestEnv.PATH)
                .containsEntry("HOME", "/home/agent").containsEntry("USER", "agent");
        assertThat(GuestEnv.of(plain, Map.of(), "1000:1000")).containsOnlyKeys("PATH");
        assertThat(GuestEnv.PATH).doesNotContain("::").doesNotEndWith(":").doesNotContain(":.");
    }

    @Test
    void placeholdersThenTheSandboxsEnvThenTheRequestsOverride() {
        SandboxSpec spec = spec(Map.of("PATH", "/opt/bin:/usr/bin", "A", "sandbox", "B", "sandbox"), List.of("gh"));
        Map<String, String> env = GuestEnv.of(spec, Map.of("B", "request"), "agent");
        assertThat(env).containsEntry("PATH", "/opt/bin:/usr/bin").containsEntry("A", "sandbox")
                .containsEntry("B", "request").containsEntry("PADDOCK_SECRET_GH", "paddock-secret:gh")
                .containsEntry("HOME", "/home/agent");
    }
}
