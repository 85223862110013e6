package dev.paddock.netpolicy.decision;

import java.util.Objects;

/**
 * One decision about one connection, request or DNS name.
 *
 * @param verdict       allow or deny
 * @param reason        the stable reason code
 * @param ruleId        the rule that decided: a policy rule id ({@code balanced:github}, {@code sandbox#2}), a
 *                      layer default ({@code global:default}) or a built-in protection ({@code host-protection:loopback})
 * @param ruleText      that rule in words, for audit events and denial messages
 * @param inspectHttp   true when the verdict holds only until the request line is known: a rule with methods or
 *                      paths applies to this destination, so the proxy must read (or intercept) the HTTP requests
 *                      and ask again for each
 * @param policyVersion the {@link dev.paddock.netpolicy.policy.PolicySet} version that decided; 0 when no policy did
 */
public record EgressDecision(Verdict verdict, ReasonCode reason, String ruleId, String ruleText, boolean inspectHttp,
                             long policyVersion) {
    public EgressDecision {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(ruleText, "ruleText");
    }

    public boolean allowed() {
        return verdict == Verdict.ALLOW;
    }

    /** A denial that no policy rule made (host protection, identity checks, validation). */
    static EgressDecision builtInDenial(ReasonCode reason, String ruleId, String ruleText, long policyVersion) {
        return new EgressDecision(Verdict.DENY, reason, ruleId, ruleText, false, policyVersion);
    }

    /** The one-line message a denial shows everywhere (403 body, audit log, CLI). */
    public String message() {
        return (allowed() ? "allowed" : "denied") + " by " + ruleId + " (" + ruleText + ")";
    }
}
