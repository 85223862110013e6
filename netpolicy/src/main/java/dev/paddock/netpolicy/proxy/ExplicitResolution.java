package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.netpolicy.decision.EgressDecision;
import dev.paddock.netpolicy.dns.UpstreamAnswer;
import dev.paddock.netpolicy.name.DomainName;
import io.netty.handler.codec.dns.DnsRecordType;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * For the explicit proxy, the proxy resolves the name the client asked for, exactly as the DNS filter would have
 * for a transparent connection: the name must be one the policy lets the sandbox resolve
 * ({@link dev.paddock.netpolicy.decision.EgressDecider#decideName}), and the answer is remembered for the
 * sandbox, so the connection decision afterwards checks the same name-to-address binding.
 */
final class ExplicitResolution {
    private ExplicitResolution() { }

    /** The name was denied before any lookup; carries the decision for the 403. */
    static final class Denied extends Exception {
        final transient EgressDecision decision;

        Denied(EgressDecision decision) {
            super(decision.message(), null, false, false);
            this.decision = decision;
        }
    }

    static Future<InetAddress> resolve(ProxySession s, String host) {
        Optional<InetAddress> literal = IpAddresses.parseLiteral(host);
        if (literal.isPresent()) {
            return Future.succeededFuture(literal.get());
        }
        EgressDecision d = s.px.decider().decideName(s.sandbox, host);
        if (!d.allowed()) {
            return Future.failedFuture(new Denied(d));
        }
        String name = DomainName.parse(host).orElseThrow().value();
        return s.px.resolver().resolve(name, DnsRecordType.A).compose(answer -> {
            if (answer.addresses().isEmpty()) {
                return Future.failedFuture(new IllegalStateException("the host's resolver answered "
                        + answer.code() + " with no A record"));
            }
            Set<String> chain = new LinkedHashSet<>();
            chain.add(name);
            for (UpstreamAnswer.Cname c : answer.cnames()) {
                chain.add(c.name());
                chain.add(c.target());
            }
            for (UpstreamAnswer.Address a : answer.addresses()) {
                for (String n : chain) {
                    s.px.resolvedNames().remember(s.sandbox, n, a.address(), a.ttlSeconds());
                }
            }
            return Future.succeededFuture(IpAddresses.normalize(answer.addresses().get(0).address()));
        });
    }
}
