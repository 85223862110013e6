package dev.paddock.netpolicy.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PolicyRegistryTest {

    @Test
    void sandboxUpdateSwapsWholeSetWithNewVersion() throws PolicyException {
        PolicyRegistry registry = new PolicyRegistry(PolicyLayer.globalDenyAll());
        PolicySet first = registry.putSandbox("sb1", "{\"preset\": \"balanced\"}");
        PolicySet second = registry.putSandbox("sb1", "{\"preset\": \"locked-down\"}");
        assertThat(second.version()).isGreaterThan(first.version());
        assertThat(registry.current("sb1")).containsSame(second);
        assertThat(first.sandbox().preset()).contains(Preset.BALANCED); // the old set is untouched
    }

    @Test
    void rejectedUpdateLeavesTheOldPolicy() throws PolicyException {
        PolicyRegistry registry = new PolicyRegistry(PolicyLayer.globalDenyAll());
        PolicySet before = registry.putSandbox("sb1", "{\"rules\": [{\"action\": \"allow\", \"domain\": \"a.example.com\"}]}");
        assertThatThrownBy(() -> registry.putSandbox("sb1", """
                { "rules": [ { "action": "allow", "domain": "b.example.com" },
                             { "action": "allow", "cidr": "10.0.0.0/99" } ] }"""))
                .isInstanceOf(PolicyException.class);
        assertThat(registry.current("sb1")).containsSame(before);
        long v = registry.global().rules().size();
        assertThatThrownBy(() -> registry.putGlobal("{\"preset\": \"nope\"}")).isInstanceOf(PolicyException.class);
        assertThat(registry.global().rules()).hasSize((int) v);
    }

    @Test
    void globalUpdateReachesEverySandbox() throws PolicyException {
        PolicyRegistry registry = new PolicyRegistry(PolicyLayer.globalDenyAll());
        registry.putSandbox("sb1", "{}");
        registry.putSandbox("sb2", "{\"preset\": \"locked-down\"}");
        long v = registry.putGlobal("{\"preset\": \"open\"}");
        assertThat(registry.current("sb1").orElseThrow().version()).isEqualTo(v);
        assertThat(registry.current("sb2").orElseThrow().global().preset()).contains(Preset.OPEN);
        assertThat(registry.current("sb2").orElseThrow().sandbox().preset()).contains(Preset.LOCKED_DOWN);
    }

    @Test
    void removedSandboxIsUnknown() {
        PolicyRegistry registry = new PolicyRegistry(PolicyLayer.globalDenyAll());
        registry.putSandbox("sb1", PolicyLayer.emptySandbox());
        registry.removeSandbox("sb1");
        assertThat(registry.current("sb1")).isEmpty();
    }

    @Test
    void layersMustBeInTheirScope() {
        PolicyRegistry registry = new PolicyRegistry(PolicyLayer.globalDenyAll());
        assertThatThrownBy(() -> registry.putSandbox("sb1", PolicyLayer.globalDenyAll()))
                .hasMessageContaining("expected a sandbox layer");
        assertThatThrownBy(() -> registry.putSandbox(" ", PolicyLayer.emptySandbox()))
                .hasMessageContaining("sandbox id is empty");
    }
}
