package dev.paddock.netpolicy.policy;

import java.util.Set;
import java.util.TreeSet;

/** The destination ports a rule applies to; empty means every port. */
public record PortSet(Set<Integer> ports) {
    public static final PortSet ANY = new PortSet(Set.of());

    public PortSet {
        for (int p : ports) {
            if (p < 1 || p > 65535) {
                throw new IllegalArgumentException("port " + p + " is outside 1..65535");
            }
        }
        ports = Set.copyOf(ports);
    }

    public static PortSet of(int... ports) {
        Set<Integer> s = new TreeSet<>();
        for (int p : ports) {
            s.add(p);
        }
        return new PortSet(s);
    }

    public boolean isAny() {
        return ports.isEmpty();
    }

    public boolean contains(int port) {
        return ports.isEmpty() || ports.contains(port);
    }

    @Override
    public String toString() {
        return ports.isEmpty() ? "any" : new TreeSet<>(ports).toString().replace(" ", "");
    }
}
