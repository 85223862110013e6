package dev.paddock.netpolicy.decision;

import dev.paddock.netpolicy.policy.Action;
import dev.paddock.netpolicy.policy.PolicyLayer;
import dev.paddock.netpolicy.policy.PolicySet;
import dev.paddock.netpolicy.policy.Rule;
import dev.paddock.netpolicy.policy.Scope;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The precedence between the two layers, in one place.
 *
 * <ol>
 *   <li>a matching global deny rule denies (nothing overrides it);</li>
 *   <li>a matching sandbox deny rule denies;</li>
 *   <li>a matching sandbox allow rule allows (it may widen past the global default, by naming a destination);</li>
 *   <li>a sandbox default of deny denies (the sandbox narrowed itself, even against global allow rules);</li>
 *   <li>a matching global allow rule allows;</li>
 *   <li>otherwise the defaults: deny if the global default is deny (a sandbox default of allow cannot widen
 *       it), else allow.</li>
 * </ol>
 *
 * Within a layer, deny beats allow. A rule that matches only MAYBE (it depends on something not known yet) counts
 * as matching when it allows and as not matching when it denies: the result is then "could it be allowed", which
 * is what a DNS answer and a connection before its first request need.
 */
final class LayerEvaluation {
    private LayerEvaluation() { }

    enum Kind { RULE, DEFAULT }

    /** The outcome before built-in checks: verdict, and the rule or default that gave it. */
    record Outcome(Action action, Kind kind, Scope scope, Optional<Rule> rule, boolean inspectHttp) {
        String ruleId() {
            return rule.map(Rule::id).orElse(scope.label() + ":default");
        }

        String ruleText() {
            return rule.map(Rule::text).orElse(scope.label() + " default " + action.json());
        }
    }

    private record LayerMatch(Optional<Rule> deny, Optional<Rule> allow, boolean inspect) { }

    static Outcome evaluate(PolicySet set, RuleMatcher.Subject subject, Predicate<Rule> eligible) {
        LayerMatch g = match(set.global(), subject, eligible);
        LayerMatch s = match(set.sandbox(), subject, eligible);
        boolean inspect = g.inspect || s.inspect;
        if (g.deny.isPresent()) {
            return new Outcome(Action.DENY, Kind.RULE, Scope.GLOBAL, g.deny, false);
        }
        if (s.deny.isPresent()) {
            return new Outcome(Action.DENY, Kind.RULE, Scope.SANDBOX, s.deny, false);
        }
        if (s.allow.isPresent()) {
            return new Outcome(Action.ALLOW, Kind.RULE, Scope.SANDBOX, s.allow, inspect);
        }
        Optional<Action> sandboxDefault = set.sandbox().defaultAction();
        if (sandboxDefault.equals(Optional.of(Action.DENY))) {
            return new Outcome(Action.DENY, Kind.DEFAULT, Scope.SANDBOX, Optional.empty(), false);
        }
        if (g.allow.isPresent()) {
            return new Outcome(Action.ALLOW, Kind.RULE, Scope.GLOBAL, g.allow, inspect);
        }
        Action globalDefault = set.global().defaultAction().orElse(Action.DENY);
        if (globalDefault == Action.DENY) {
            return new Outcome(Action.DENY, Kind.DEFAULT, Scope.GLOBAL, Optional.empty(), false);
        }
        Scope by = sandboxDefault.isPresent() ? Scope.SANDBOX : Scope.GLOBAL;
        return new Outcome(Action.ALLOW, Kind.DEFAULT, by, Optional.empty(), inspect);
    }

    private static LayerMatch match(PolicyLayer layer, RuleMatcher.Subject subject, Predicate<Rule> eligible) {
        Rule deny = null;
        Rule allow = null;
        boolean inspect = false;
        for (Rule r : layer.rules()) {
            if (!eligible.test(r)) {
                continue;
            }
            RuleMatcher.Match m = RuleMatcher.match(r, subject);
            if (m == RuleMatcher.Match.NO) {
                continue;
            }
            inspect |= RuleMatcher.dependsOnRequest(r, subject);
            if (r.action() == Action.DENY && m == RuleMatcher.Match.YES && deny == null) {
                deny = r;
            } else if (r.action() == Action.ALLOW && allow == null) {
                allow = r;
            }
        }
        return new LayerMatch(Optional.ofNullable(deny), Optional.ofNullable(allow), inspect);
    }
}
