package dev.paddock.netpolicy.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.netpolicy.address.Cidr;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyParserTest {

    @Test
    void parsesEveryRuleKind() throws PolicyException {
        PolicyLayer layer = PolicyParser.parse(Scope.SANDBOX, """
                { "default": "deny", "comment": "mine", "rules": [
                  { "id": "gh-read", "action": "allow", "domain": "**.github.com", "ports": [443],
                    "methods": ["get", "HEAD"], "paths": ["/repos/**"] },
                  { "action": "allow", "hostPort": "registry.example.com:5000" },
                  { "action": "allow", "hostPort": "10.0.0.5:5432" },
                  { "action": "allow", "hostPort": "[2001:db8::5]:8443" },
                  { "action": "deny", "cidr": "2001:db8::/32" } ] }""");

        assertThat(layer.defaultAction()).contains(Action.DENY);
        assertThat(layer.rules()).extracting(Rule::id)
                .containsExactly("gh-read", "sandbox#2", "sandbox#3", "sandbox#4", "sandbox#5");
        Rule gh = layer.rules().get(0);
        assertThat(gh.http().methods()).containsExactlyInAnyOrder("GET", "HEAD");
        assertThat(gh.text()).isEqualTo("allow domain **.github.com ports [443] methods GET,HEAD paths /repos/**");
        assertThat(layer.rules().get(1).target()).isInstanceOf(RuleTarget.HostPort.class);
        assertThat(layer.rules().get(1).ports().ports()).containsExactly(5000);
        assertThat(layer.rules().get(2).target()).isEqualTo(new RuleTarget.Block(Cidr.of("10.0.0.5/32")));
        assertThat(layer.rules().get(2).ports().ports()).containsExactly(5432);
        assertThat(layer.rules().get(3).target()).isEqualTo(new RuleTarget.Block(Cidr.of("2001:db8::5/128")));
    }

    @Test
    void presetRulesComeFirstAndUserRulesFollow() throws PolicyException {
        PolicyLayer layer = PolicyParser.parse(Scope.GLOBAL,
                "{\"preset\": \"balanced\", \"rules\": [{\"action\": \"allow\", \"domain\": \"extra.example.org\"}]}");
        assertThat(layer.preset()).contains(Preset.BALANCED);
        assertThat(layer.defaultAction()).contains(Action.DENY);
        assertThat(layer.rules().get(0).id()).startsWith("balanced:");
        assertThat(layer.rules().get(layer.rules().size() - 1).id()).isEqualTo("global#1");
    }

    @Test
    void explicitDefaultOverridesThePreset() throws PolicyException {
        PolicyLayer layer = PolicyParser.parse(Scope.GLOBAL, "{\"preset\": \"balanced\", \"default\": \"allow\"}");
        assertThat(layer.defaultAction()).contains(Action.ALLOW);
    }

    @Test
    void layersWithoutDefault() throws PolicyException {
        assertThat(PolicyParser.parse(Scope.GLOBAL, "{}").defaultAction()).contains(Action.DENY);
        assertThat(PolicyParser.parse(Scope.SANDBOX, "{}").defaultAction()).isEqualTo(Optional.empty());
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{\"rules\": [{\"action\": \"allow\", \"cidr\": \"10.0.0.1/8\"}]}                   | rules[0].cidr: CIDR '10.0.0.1/8' has host bits set; write '10.0.0.0/8'",
            "{\"rules\": [{\"action\": \"allow\", \"cidr\": \"300.0.0.0/8\"}]}                  | rules[0].cidr: CIDR '300.0.0.0/8': '300.0.0.0' is not an IPv4 or IPv6 address",
            "{\"rules\": [{\"id\": \"x\", \"action\": \"allow\", \"domain\": \"a.*.b\"}]}       | rules[0] (id \"x\").domain: domain pattern 'a.*.b' has a wildcard that is not the whole leftmost label",
            "{\"rules\": [{\"action\": \"allow\", \"domain\": \"x.com\", \"ports\": [0]}]}       | rules[0].ports: 0 is out of range; ports are whole numbers in 1..65535",
            "{\"rules\": [{\"action\": \"allow\", \"domain\": \"x.com\", \"ports\": [65536]}]}   | rules[0].ports: 65536 is out of range",
            "{\"rules\": [{\"action\": \"allow\", \"domain\": \"x.com\", \"ports\": []}]}       | rules[0].ports: must be a non-empty array",
            "{\"rules\": [{\"action\": \"allow\", \"hostPort\": \"x.com:70000\"}]}              | rules[0].hostPort: port 70000 is out of range",
            "{\"rules\": [{\"action\": \"allow\", \"hostPort\": \"x.com\"}]}                    | rules[0].hostPort: 'x.com' is not host:port",
            "{\"rules\": [{\"action\": \"allow\", \"hostPort\": \"x.com:443\", \"ports\": [443]}]} | 'hostPort' names its port, so 'ports' conflicts with it",
            "{\"rules\": [{\"action\": \"allow\", \"domain\": \"x.com\", \"methods\": [\"FETCH\"]}]} | rules[0].methods: unknown HTTP method \"FETCH\"",
            "{\"rules\": [{\"action\": \"allow\", \"domain\": \"x.com\", \"paths\": [\"v1/*\"]}]} | rules[0].paths: path pattern 'v1/*' must start with '/'",
            "{\"rules\": [{\"action\": \"allow\", \"domain\": \"x.com\", \"paths\": [\"/a/../b\"]}]} | rules[0].paths: path pattern '/a/../b' has '.', '..'",
            "{\"rules\": [{\"action\": \"allow\", \"domain\": \"x.com\", \"cidr\": \"10.0.0.0/8\"}]} | rules[0]: names domain and cidr; give exactly one of",
            "{\"rules\": [{\"action\": \"allow\"}]}                                             | rules[0]: names no destination",
            "{\"rules\": [{\"action\": \"permit\", \"domain\": \"x.com\"}]}                     | rules[0].action: \"permit\" is not an action",
            "{\"rules\": [{\"domain\": \"x.com\"}]}                                             | rules[0].action: missing",
            "{\"rules\": [{\"action\": \"allow\", \"domian\": \"x.com\"}]}                      | rules[0]: unknown field 'domian'",
            "{\"preset\": \"strict\"}                                                           | preset: unknown preset \"strict\"",
            "{\"default\": \"block\"}                                                           | default: \"block\" is not an action",
            "{\"default\": \"allow\", \"default\": \"deny\"}                                    | Duplicate field 'default'",
            "{\"rules\": [{\"action\": \"allow\", \"domain\": \"a.com\", \"domain\": \"b.com\"}]} | Duplicate field 'domain'",
            "{\"rules\": [{\"id\": \"a\", \"action\": \"allow\", \"domain\": \"a.com\"}, {\"id\": \"a\", \"action\": \"deny\", \"domain\": \"b.com\"}]} | rules[1] (id \"a\").id: \"a\" is already used",
            "{\"rules\": [{\"id\": \"has space\", \"action\": \"allow\", \"domain\": \"a.com\"}]} | rules[0].id: \"has space\" is not an id",
            "{\"rules\": {}}                                                                    | rules: must be an array",
            "[1, 2]                                                                             | a policy document is a JSON object",
            "{\"rules\": [                                                                      | policy is not valid JSON",
    })
    void rejectsWithAClearMessage(String json, String expected) {
        assertThatThrownBy(() -> PolicyParser.parse(Scope.SANDBOX, json))
                .isInstanceOf(PolicyException.class)
                .hasMessageContaining("nothing applied")
                .hasMessageContaining(expected);
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> PolicyParser.parse(Scope.SANDBOX, """
                { "rules": [
                  { "action": "allow", "cidr": "10.0.0.0/33" },
                  { "action": "allow", "domain": "good.example.com" },
                  { "action": "allow", "domain": "*.*.bad" } ] }"""))
                .isInstanceOfSatisfying(PolicyException.class, e -> assertThat(e.problems()).hasSize(2)
                        .anySatisfy(p -> assertThat(p).startsWith("rules[0].cidr"))
                        .anySatisfy(p -> assertThat(p).startsWith("rules[2].domain")));
    }

    @Test
    void ruleIdsFromUserAndPresetMustNotCollide() {
        assertThatThrownBy(() -> PolicyParser.parse(Scope.GLOBAL,
                "{\"preset\": \"balanced\", \"rules\": [{\"id\": \"balanced:github\", \"action\": \"deny\", \"domain\": \"x.com\"}]}"))
                .hasMessageContaining("already used");
    }

    @Test
    void methodsAreKnownOnes() {
        assertThat(HttpMatch.KNOWN_METHODS).containsAll(Set.of("GET", "POST", "PATCH", "CONNECT"));
    }
}
