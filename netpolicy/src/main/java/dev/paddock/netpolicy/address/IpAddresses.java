package dev.paddock.netpolicy.address;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * IP literals parsed without ever touching DNS, and addresses normalized before any matching.
 *
 * <p>{@link InetAddress#getByName} resolves anything that is not a literal, so it is only called on strings that
 * can only be IPv6 literals. IPv4 is parsed here, strictly: four decimal parts 0..255 without leading zeros, so
 * {@code 0177.0.0.1}, {@code 0x7f.0.0.1} and {@code 2130706433} (which inet_aton(3) would all read as 127.0.0.1)
 * are not addresses, and as host names they fail {@link dev.paddock.netpolicy.name.DomainName}'s numeric-TLD rule.
 */
public final class IpAddresses {
    private IpAddresses() { }

    /** The address {@code text} spells (an IPv6 literal may be in brackets), or empty if it is not a literal. */
    public static Optional<InetAddress> parseLiteral(String text) {
        if (text == null || text.isEmpty()) {
            return Optional.empty();
        }
        String t = text;
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
            if (t.indexOf(':') < 0) {
                return Optional.empty();
            }
        }
        if (t.indexOf(':') >= 0) {
            return parseIpv6(t);
        }
        return parseIpv4(t);
    }

    private static Optional<InetAddress> parseIpv4(String t) {
        String[] parts = t.split("\\.", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return Optional.empty();
            }
            int v = 0;
            for (int k = 0; k < p.length(); k++) {
                char c = p.charAt(k);
                if (c < '0' || c > '9') {
                    return Optional.empty();
                }
                v = v * 10 + (c - '0');
            }
            if (v > 255) {
                return Optional.empty();
            }
            bytes[i] = (byte) v;
        }
        return Optional.of(byAddress(bytes));
    }

    private static Optional<InetAddress> parseIpv6(String t) {
        // Only hex digits, colons and the dots of an embedded IPv4 tail: no zone ids (%eth0), no names, so
        // getByName below parses a literal and never queries DNS.
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
                    || c == ':' || c == '.';
            if (!ok) {
                return Optional.empty();
            }
        }
        if (t.length() > 45) { // INET6_ADDRSTRLEN - 1: the longest textual IPv6 address
            return Optional.empty();
        }
        try {
            return Optional.of(normalize(InetAddress.getByName(t)));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /**
     * The address as the policy sees it: an IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}, RFC 4291 §2.5.5.2)
     * becomes the IPv4 address it carries, so a rule or a protection for 127.0.0.1 also covers
     * {@code ::ffff:127.0.0.1}. Scope ids are dropped: an address is matched by value.
     */
    public static InetAddress normalize(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 16 && isMapped(b)) {
            return byAddress(new byte[] {b[12], b[13], b[14], b[15]});
        }
        if (address instanceof Inet6Address six && six.getScopeId() != 0) {
            return byAddress(b);
        }
        return address;
    }

    private static boolean isMapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }

    /**
     * The IPv4 address embedded in an IPv6 address by a translation scheme that a gateway on the host's network
     * could honour: IPv4-compatible {@code ::a.b.c.d} (RFC 4291 §2.5.5.1, deprecated but still parsed by some
     * stacks) and the NAT64 well-known prefix {@code 64:ff9b::/96} (RFC 6052 §2.1). Empty for any other address.
     */
    public static Optional<Inet4Address> embeddedIpv4(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length != 16) {
            return Optional.empty();
        }
        boolean compatible = true;
        for (int i = 0; i < 12; i++) {
            compatible &= b[i] == 0;
        }
        boolean nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
        for (int i = 4; i < 12 && nat64; i++) {
            nat64 = b[i] == 0;
        }
        // :: and ::1 are the unspecified and loopback addresses, not IPv4-compatible ones.
        boolean specialCompatible = compatible && b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1);
        if ((compatible && !specialCompatible) || nat64) {
            return Optional.of((Inet4Address) byAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        }
        return Optional.empty();
    }

    /** An address from raw bytes (4 or 16); never a lookup. */
    public static InetAddress byAddress(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + bytes.length, e);
        }
    }

    /** The canonical text of an address: dotted quad, or RFC 5952 compressed IPv6 in lower case. */
    public static String toText(InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        // RFC 5952 §4.2: compress the longest run (of at least two) of zero groups, the first one on a tie.
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }
}
