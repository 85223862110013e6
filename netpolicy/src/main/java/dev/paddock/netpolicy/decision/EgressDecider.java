package dev.paddock.netpolicy.decision;

import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.netpolicy.address.SpecialRanges;
import dev.paddock.netpolicy.name.DomainName;
import dev.paddock.netpolicy.policy.Action;
import dev.paddock.netpolicy.policy.PolicyRegistry;
import dev.paddock.netpolicy.policy.PolicySet;
import dev.paddock.netpolicy.policy.RequestPaths;
import dev.paddock.netpolicy.policy.Rule;
import dev.paddock.netpolicy.policy.RuleTarget;
import dev.paddock.netpolicy.policy.Scope;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The egress decision core: pure (no I/O, no clocks, no Vert.x), so it is the same function for the DNS filter,
 * the proxy and the tests.
 *
 * <p>Order of checks for a connection or request:
 * <ol>
 *   <li>the sandbox must have a policy;</li>
 *   <li>host protection, which no policy can lift: loopback, link-local, unspecified, multicast and reserved
 *       blocks, every host interface address, Paddock's listeners (IPv4-mapped and -embedded IPv6 addresses are
 *       checked as the IPv4 address they carry);</li>
 *   <li>identity: SNI and Host must be valid names and agree with each other, an IP-literal Host must be the
 *       destination, and a name must be one this sandbox resolved to this address;</li>
 *   <li>the policy layers ({@link LayerEvaluation}); a destination known only by address is decided by CIDR rules
 *       alone;</li>
 *   <li>a private address also needs a CIDR rule that names a private block.</li>
 * </ol>
 */
public final class EgressDecider {
    private final PolicyRegistry policies;
    private final Supplier<HostProtection> hostProtection;

    public EgressDecider(PolicyRegistry policies, Supplier<HostProtection> hostProtection) {
        this.policies = Objects.requireNonNull(policies, "policies");
        this.hostProtection = Objects.requireNonNull(hostProtection, "hostProtection");
    }

    /** Decides a connection (request absent) or one HTTP request on it (request present). */
    public EgressDecision decide(EgressRequest req) {
        Optional<PolicySet> maybeSet = policies.current(req.sandboxId());
        if (maybeSet.isEmpty()) {
            return unknownSandbox(req.sandboxId());
        }
        PolicySet set = maybeSet.get();
        long v = set.version();

        InetAddress dst = IpAddresses.normalize(req.destination());
        Optional<EgressDecision> protectedHost = hostProtected(dst, req.port(), v);
        if (protectedHost.isPresent()) {
            return protectedHost.get();
        }
        // GUEST-CONTROLLED: the original destination port comes from the guest's socket; 0 is never a destination.
        if (req.port() < 1 || req.port() > 65535) {
            return EgressDecision.builtInDenial(ReasonCode.INVALID_REQUEST, "request:port",
                    "destination port " + req.port() + " is outside 1..65535", v);
        }

        // GUEST-CONTROLLED: SNI and Host are whatever the guest sent.
        Optional<DomainName> sniName = Optional.empty();
        if (req.sni().isPresent()) {
            String sni = req.sni().get();
            sniName = DomainName.parse(sni);
            if (sniName.isEmpty()) {
                return invalidName("sni", sni, v);
            }
        }
        Optional<DomainName> hostName = Optional.empty();
        if (req.host().isPresent()) {
            String hostOnly = stripPort(req.host().get());
            Optional<InetAddress> hostLiteral = hostOnly == null ? Optional.empty() : IpAddresses.parseLiteral(hostOnly);
            if (hostLiteral.isPresent()) {
                if (!hostLiteral.get().equals(dst)) {
                    return EgressDecision.builtInDenial(ReasonCode.HOST_ADDRESS_MISMATCH, "identity:host-address",
                            "Host " + abbreviate(req.host().get()) + " is an address other than the destination "
                                    + IpAddresses.toText(dst), v);
                }
            } else {
                hostName = hostOnly == null ? Optional.empty() : DomainName.parse(hostOnly);
                if (hostName.isEmpty()) {
                    return invalidName("host", req.host().get(), v);
                }
            }
        }
        if (sniName.isPresent() && hostName.isPresent() && !sniName.get().equals(hostName.get())) {
            return EgressDecision.builtInDenial(ReasonCode.HOST_SNI_MISMATCH, "identity:sni-host-mismatch",
                    "TLS SNI " + sniName.get() + " and HTTP Host " + hostName.get() + " name different hosts", v);
        }

        String method = null;
        String path = null;
        if (req.request().isPresent()) {
            EgressRequest.RequestLine line = req.request().get();
            // GUEST-CONTROLLED: servers treat methods case-insensitively in practice, so rules see them upper-cased.
            method = line.method().toUpperCase(Locale.ROOT);
            path = RequestPaths.canonical(line.path()).orElse(null);
            if (path == null || method.isEmpty() || method.length() > 32) {
                return EgressDecision.builtInDenial(ReasonCode.INVALID_REQUEST, "request:path",
                        "request " + abbreviate(line.method()) + " " + abbreviate(line.path())
                                + " has a path that cannot be matched safely (dot segments, encoded '/', '\\' or '.',"
                                + " or over " + RequestPaths.MAX_PATH_LENGTH + " characters)", v);
            }
        }

        Optional<DomainName> named = sniName.isPresent() ? sniName : hostName;
        List<DomainName> candidates = new ArrayList<>();
        List<DomainName> resolved = req.resolvedNames().stream()
                .map(DomainName::parse).flatMap(Optional::stream).toList();
        if (named.isPresent()) {
            if (!resolved.contains(named.get())) {
                return EgressDecision.builtInDenial(ReasonCode.NAME_NOT_RESOLVED, "identity:not-resolved",
                        named.get() + " was not resolved by this sandbox to " + IpAddresses.toText(dst)
                                + " (or that answer expired)", v);
            }
            candidates.add(named.get());
        } else {
            candidates.addAll(resolved);
        }

        LayerEvaluation.Outcome outcome;
        if (candidates.isEmpty()) {
            RuleMatcher.Subject subject = new RuleMatcher.Subject(null, dst, req.port(), method, path);
            outcome = LayerEvaluation.evaluate(set, subject, EgressDecider::isBlockRule);
            boolean noRuleDecided = outcome.kind() == LayerEvaluation.Kind.DEFAULT
                    && (outcome.action() == Action.ALLOW || outcome.scope() == Scope.GLOBAL);
            if (noRuleDecided) {
                return EgressDecision.builtInDenial(ReasonCode.IP_LITERAL_NEEDS_CIDR, "identity:ip-literal",
                        IpAddresses.toText(dst) + " was reached by address, without a name this sandbox resolved to"
                                + " it; only a CIDR rule allows that, and none matched", v);
            }
        } else {
            outcome = null;
            for (DomainName name : candidates) {
                RuleMatcher.Subject subject = new RuleMatcher.Subject(name, dst, req.port(), method, path);
                LayerEvaluation.Outcome o = LayerEvaluation.evaluate(set, subject, r -> true);
                if (outcome == null || (outcome.action() == Action.DENY && o.action() == Action.ALLOW)) {
                    outcome = o;
                }
            }
        }
        if (outcome.action() == Action.DENY) {
            return fromOutcome(outcome, v);
        }

        Optional<SpecialRanges.Range> privateRange = SpecialRanges.privateRange(dst);
        if (privateRange.isPresent()) {
            RuleMatcher.Subject subject = new RuleMatcher.Subject(null, dst, req.port(), method, path);
            LayerEvaluation.Outcome gate = LayerEvaluation.evaluate(set, subject, EgressDecider::opensPrivateRange);
            if (gate.action() == Action.DENY && gate.kind() == LayerEvaluation.Kind.RULE) {
                return fromOutcome(gate, v);
            }
            if (gate.action() == Action.DENY || gate.kind() == LayerEvaluation.Kind.DEFAULT) {
                return EgressDecision.builtInDenial(ReasonCode.PRIVATE_RANGE_NEEDS_CIDR,
                        "private-range:" + privateRange.get().name(),
                        IpAddresses.toText(dst) + " is in the " + privateRange.get().name() + " block "
                                + privateRange.get().cidr() + "; allow it with a CIDR rule inside that block", v);
            }
        }
        return fromOutcome(outcome, v);
    }

    /**
     * Decides a DNS name before any address is known: allow when some connection to it could be allowed. Address
     * rules do not make a name resolvable (so a CIDR rule never turns the DNS filter into an open resolver that
     * carries data out in query names); port and HTTP constraints are read as "could match".
     */
    public EgressDecision decideName(String sandboxId, String rawName) {
        Optional<PolicySet> maybeSet = policies.current(sandboxId);
        if (maybeSet.isEmpty()) {
            return unknownSandbox(sandboxId);
        }
        PolicySet set = maybeSet.get();
        Optional<DomainName> name = DomainName.parse(rawName);
        if (name.isEmpty()) {
            return invalidName("dns", rawName, set.version());
        }
        RuleMatcher.Subject subject = new RuleMatcher.Subject(name.get(), null, -1, null, null);
        LayerEvaluation.Outcome o = LayerEvaluation.evaluate(set, subject, r -> !isBlockRule(r));
        return new EgressDecision(o.action() == Action.ALLOW ? Verdict.ALLOW : Verdict.DENY, reasonOf(o),
                o.ruleId(), o.ruleText(), false, set.version());
    }

    private Optional<EgressDecision> hostProtected(InetAddress dst, int port, long v) {
        List<InetAddress> views = new ArrayList<>(2);
        views.add(dst);
        IpAddresses.embeddedIpv4(dst).ifPresent(views::add);
        HostProtection protection = hostProtection.get();
        for (InetAddress a : views) {
            Optional<SpecialRanges.Range> internal = SpecialRanges.hostInternal(a);
            if (internal.isPresent()) {
                return Optional.of(EgressDecision.builtInDenial(ReasonCode.HOST_PROTECTED,
                        "host-protection:" + internal.get().name(),
                        IpAddresses.toText(dst) + " is " + internal.get().name() + " (" + internal.get().cidr()
                                + "), which is never reachable from a sandbox", v));
            }
            if (protection.isHostAddress(a)) {
                return Optional.of(EgressDecision.builtInDenial(ReasonCode.HOST_PROTECTED, "host-protection:host-address",
                        IpAddresses.toText(dst) + " is an address of this host, which is never reachable from a sandbox", v));
            }
            if (protection.isListener(a, port)) {
                return Optional.of(EgressDecision.builtInDenial(ReasonCode.PADDOCK_LISTENER,
                        "host-protection:paddock-listener", IpAddresses.toText(dst) + " port " + port
                                + " is a Paddock listener, which is never reachable from a sandbox", v));
            }
            if (a instanceof Inet4Address && !a.equals(dst) && SpecialRanges.privateRange(a).isPresent()) {
                return Optional.of(EgressDecision.builtInDenial(ReasonCode.PRIVATE_RANGE_NEEDS_CIDR,
                        "private-range:embedded", IpAddresses.toText(dst) + " embeds the private address "
                                + IpAddresses.toText(a) + "; write the IPv4 address and allow it with a CIDR rule", v));
            }
        }
        return Optional.empty();
    }

    private static boolean isBlockRule(Rule r) {
        return r.target() instanceof RuleTarget.Block;
    }

    /** In the private-range gate, deny rules on any block count, allow rules only on blocks inside a private one. */
    private static boolean opensPrivateRange(Rule r) {
        if (!(r.target() instanceof RuleTarget.Block b)) {
            return false;
        }
        return r.action() == Action.DENY || SpecialRanges.privateBlockContaining(b.cidr()).isPresent();
    }

    private static EgressDecision fromOutcome(LayerEvaluation.Outcome o, long v) {
        Verdict verdict = o.action() == Action.ALLOW ? Verdict.ALLOW : Verdict.DENY;
        return new EgressDecision(verdict, reasonOf(o), o.ruleId(), o.ruleText(),
                verdict == Verdict.ALLOW && o.inspectHttp(), v);
    }

    private static ReasonCode reasonOf(LayerEvaluation.Outcome o) {
        if (o.action() == Action.ALLOW) {
            return o.kind() == LayerEvaluation.Kind.RULE ? ReasonCode.ALLOWED_BY_RULE : ReasonCode.ALLOWED_BY_DEFAULT;
        }
        return o.kind() == LayerEvaluation.Kind.RULE ? ReasonCode.DENIED_BY_RULE : ReasonCode.DENIED_BY_DEFAULT;
    }

    private static EgressDecision unknownSandbox(String sandboxId) {
        return EgressDecision.builtInDenial(ReasonCode.UNKNOWN_SANDBOX, "policy:unknown-sandbox",
                "sandbox " + abbreviate(String.valueOf(sandboxId)) + " has no policy registered", 0);
    }

    private static EgressDecision invalidName(String where, String raw, long v) {
        String problem = raw == null ? "missing" : DomainName.problem(DomainName.canonicalize(raw));
        return EgressDecision.builtInDenial(ReasonCode.INVALID_NAME, "identity:invalid-" + where + "-name",
                where + " name '" + abbreviate(String.valueOf(raw)) + "' is not a valid host name: " + problem, v);
    }

    /** The host part of a Host header or CONNECT authority: {@code name}, {@code name:port}, {@code [v6]:port}. */
    static String stripPort(String authority) {
        String a = authority.trim();
        if (a.startsWith("[")) {
            int close = a.indexOf(']');
            if (close < 0) {
                return null;
            }
            String rest = a.substring(close + 1);
            if (!rest.isEmpty() && !validPortSuffix(rest)) {
                return null;
            }
            return a.substring(0, close + 1);
        }
        int colon = a.indexOf(':');
        if (colon < 0) {
            return a;
        }
        if (a.indexOf(':', colon + 1) >= 0) {
            return a; // a bare IPv6 literal; parseLiteral takes it as is
        }
        return validPortSuffix(a.substring(colon)) ? a.substring(0, colon) : null;
    }

    private static boolean validPortSuffix(String s) {
        if (s.length() < 2 || s.length() > 6 || s.charAt(0) != ':') {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        int p = Integer.parseInt(s.substring(1));
        return p >= 1 && p <= 65535;
    }

    private static String abbreviate(String s) {
        String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() <= 80 ? printable : printable.substring(0, 77) + "...";
    }
}
