package dev.paddock.netpolicy.decision;

import dev.paddock.netpolicy.address.IpAddresses;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What of the host a guest may never reach beyond the fixed {@link dev.paddock.netpolicy.address.SpecialRanges}:
 * every address of the host's interfaces, and Paddock's own listening sockets. The caller refreshes it (see
 * {@link HostInterfaces}) and hands the decider the latest snapshot.
 *
 * @param hostAddresses every address configured on the host's interfaces
 * @param listeners     Paddock's listening sockets; a wildcard address (0.0.0.0 or ::) stands for every host
 *                      address, which is already protected, so such entries matter where the port is also
 *                      reached through an address that is not on an interface (a NAT or published address)
 */
public record HostProtection(Set<InetAddress> hostAddresses, Set<InetSocketAddress> listeners) {
    public static final HostProtection NONE = new HostProtection(Set.of(), Set.of());

    public HostProtection {
        hostAddresses = hostAddresses.stream().map(IpAddresses::normalize).collect(Collectors.toUnmodifiableSet());
        listeners = Set.copyOf(listeners);
    }

    public boolean isHostAddress(InetAddress normalized) {
        return hostAddresses.contains(normalized);
    }

    /** True when a Paddock listener accepts connections to this address and port. */
    public boolean isListener(InetAddress normalized, int port) {
        for (InetSocketAddress l : listeners) {
            if (l.getPort() != port || l.getAddress() == null) {
                continue;
            }
            InetAddress a = IpAddresses.normalize(l.getAddress());
            if (a.isAnyLocalAddress() || a.equals(normalized)) {
                return true;
            }
        }
        return false;
    }
}
