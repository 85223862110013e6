package dev.paddock.netpolicy.policy;

import dev.paddock.netpolicy.address.Cidr;
import dev.paddock.netpolicy.name.DomainPattern;

/** What a rule is about: a domain, a named {@code host:port}, or an address block. */
public sealed interface RuleTarget {
    /** A domain pattern; the rule's ports (if any) narrow it. */
    record Domain(DomainPattern pattern) implements RuleTarget {
        @Override
        public String toString() {
            return "domain " + pattern;
        }
    }

    /** A named host and one port, from {@code "hostPort": "registry.example.com:5000"}. */
    record HostPort(DomainPattern host, int port) implements RuleTarget {
        @Override
        public String toString() {
            return "hostPort " + host + ":" + port;
        }
    }

    /**
     * An address block, from {@code "cidr"}, or from a {@code hostPort} whose host is an IP literal (which is
     * a /32 or /128 with one port: it counts as a CIDR rule everywhere a CIDR rule is required).
     */
    record Block(Cidr cidr) implements RuleTarget {
        @Override
        public String toString() {
            return "cidr " + cidr;
        }
    }
}
