package dev.paddock.netpolicy.decision;

import dev.paddock.netpolicy.name.DomainName;
import dev.paddock.netpolicy.policy.Rule;
import dev.paddock.netpolicy.policy.RuleTarget;
import java.net.InetAddress;

/**
 * Whether one rule applies to what is known about a destination. Unknown parts (the port, for a DNS name; the
 * request line, before the proxy has read it) give {@link Match#MAYBE}, and the layer evaluation reads MAYBE
 * optimistically for allow rules and pessimistically for deny rules, which yields "could any connection be
 * allowed" (see {@link LayerEvaluation}).
 */
final class RuleMatcher {
    private RuleMatcher() { }

    enum Match { NO, MAYBE, YES }

    /**
     * What is known. {@code name} null: no name (an IP-literal destination, so only address rules apply).
     * {@code address} null: a DNS name, before any address (so address rules do not apply). {@code port} -1:
     * unknown. {@code method}/{@code canonicalPath} null: the request line is not known yet.
     */
    record Subject(DomainName name, InetAddress address, int port, String method, String canonicalPath) {
        boolean knowsRequest() {
            return method != null;
        }
    }

    /** The part of a match that depends on the request line, so callers know to ask for inspection. */
    static boolean dependsOnRequest(Rule rule, Subject s) {
        return rule.http().constrains() && !s.knowsRequest();
    }

    static Match match(Rule rule, Subject s) {
        boolean target;
        if (rule.target() instanceof RuleTarget.Domain d) {
            target = s.name() != null && d.pattern().matches(s.name());
        } else if (rule.target() instanceof RuleTarget.HostPort hp) {
            target = s.name() != null && hp.host().matches(s.name());
        } else {
            target = s.address() != null && ((RuleTarget.Block) rule.target()).cidr().contains(s.address());
        }
        if (!target) {
            return Match.NO;
        }
        Match result = Match.YES;
        if (!rule.ports().isAny()) {
            if (s.port() < 0) {
                result = Match.MAYBE;
            } else if (!rule.ports().contains(s.port())) {
                return Match.NO;
            }
        }
        if (rule.http().constrains()) {
            if (!s.knowsRequest()) {
                result = Match.MAYBE;
            } else if (!rule.http().matches(s.method(), s.canonicalPath())) {
                return Match.NO;
            }
        }
        return result;
    }
}
