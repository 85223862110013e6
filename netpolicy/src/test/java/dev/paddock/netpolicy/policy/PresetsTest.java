package dev.paddock.netpolicy.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PresetsTest {

    @Test
    void openAllowsByDefaultAndAdmitsPublicLiterals() {
        Presets.PresetContent open = Presets.of(Preset.OPEN);
        assertThat(open.defaultAction()).isEqualTo(Action.ALLOW);
        assertThat(open.rules()).extracting(Rule::id).containsExactly("open:any-ipv4", "open:any-ipv6");
    }

    @Test
    void balancedCoversAiApisRegistriesAndCodeHosts() {
        Presets.PresetContent balanced = Presets.of(Preset.BALANCED);
        assertThat(balanced.defaultAction()).isEqualTo(Action.DENY);
        assertThat(balanced.rules()).extracting(Rule::id)
                .contains("balanced:anthropic", "balanced:openai", "balanced:npm", "balanced:pypi",
                        "balanced:maven-central", "balanced:github", "balanced:github-sub", "balanced:gitlab");
        assertThat(balanced.rules()).allSatisfy(r -> assertThat(r.action()).isEqualTo(Action.ALLOW));
        assertThat(balanced.rules()).allSatisfy(r -> assertThat(r.target()).isNotInstanceOf(RuleTarget.Block.class));
    }

    @Test
    void lockedDownHasNoRules() {
        Presets.PresetContent locked = Presets.of(Preset.LOCKED_DOWN);
        assertThat(locked.defaultAction()).isEqualTo(Action.DENY);
        assertThat(locked.rules()).isEmpty();
    }
}
