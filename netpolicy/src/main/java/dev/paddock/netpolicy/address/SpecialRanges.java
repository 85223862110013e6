package dev.paddock.netpolicy.address;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * Address blocks that policy treats specially, with the RFC that assigns each.
 *
 * <p>{@link #HOST_INTERNAL} blocks lead back to the host itself (or to every host on its link) and are never
 * reachable from a guest, whatever the policy says. {@link #PRIVATE} blocks lead into the networks the host sits
 * in; a guest reaches them only through a CIDR rule that names a private block.
 */
public final class SpecialRanges {
    private SpecialRanges() { }

    /** A named block, so a decision can say which protection applied. */
    public record Range(String name, Cidr cidr) { }

    public static final List<Range> HOST_INTERNAL = List.of(
            new Range("loopback", Cidr.of("127.0.0.0/8")),              // RFC 1122 §3.2.1.3
            new Range("loopback", Cidr.of("::1/128")),                  // RFC 4291 §2.5.3
            new Range("this-network", Cidr.of("0.0.0.0/8")),            // RFC 1122 §3.2.1.3; Linux routes 0.0.0.0 to the host
            new Range("unspecified", Cidr.of("::/128")),                // RFC 4291 §2.5.2
            new Range("link-local", Cidr.of("169.254.0.0/16")),         // RFC 3927; cloud metadata lives here
            new Range("link-local", Cidr.of("fe80::/10")),              // RFC 4291 §2.5.6
            new Range("multicast", Cidr.of("224.0.0.0/4")),             // RFC 5771
            new Range("multicast", Cidr.of("ff00::/8")),                // RFC 4291 §2.7
            new Range("reserved", Cidr.of("240.0.0.0/4")));             // RFC 1112 §4; includes broadcast 255.255.255.255

    public static final List<Range> PRIVATE = List.of(
            new Range("private", Cidr.of("10.0.0.0/8")),                // RFC 1918
            new Range("private", Cidr.of("172.16.0.0/12")),             // RFC 1918
            new Range("private", Cidr.of("192.168.0.0/16")),            // RFC 1918
            new Range("shared-address-space", Cidr.of("100.64.0.0/10")), // RFC 6598 (carrier-grade NAT, tailnets)
            new Range("unique-local", Cidr.of("fc00::/7")),             // RFC 4193
            new Range("site-local", Cidr.of("fec0::/10")));             // RFC 3879 deprecated it; stacks still route it

    /** The host-internal block {@code address} is in, or empty. */
    public static Optional<Range> hostInternal(InetAddress address) {
        return find(HOST_INTERNAL, address);
    }

    /** The private block {@code address} is in, or empty. */
    public static Optional<Range> privateRange(InetAddress address) {
        return find(PRIVATE, address);
    }

    /** The private block that wholly contains {@code block}, or empty when {@code block} reaches public space. */
    public static Optional<Range> privateBlockContaining(Cidr block) {
        return PRIVATE.stream().filter(r -> block.within(r.cidr())).findFirst();
    }

    private static Optional<Range> find(List<Range> ranges, InetAddress address) {
        InetAddress a = IpAddresses.normalize(address);
        return ranges.stream().filter(r -> r.cidr().contains(a)).findFirst();
    }
}
