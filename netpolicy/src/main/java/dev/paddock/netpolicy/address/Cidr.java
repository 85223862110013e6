package dev.paddock.netpolicy.address;

import java.net.InetAddress;
import java.util.Optional;

/** An IPv4 or IPv6 network block, {@code address/prefix}, with the host bits zero. */
public record Cidr(InetAddress network, int prefixLength) {

    public Cidr {
        int bits = network.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is outside 0.." + bits);
        }
        if (!network.equals(mask(network, prefixLength))) {
            throw new IllegalArgumentException("network " + IpAddresses.toText(network) + "/" + prefixLength
                    + " has host bits set; write " + IpAddresses.toText(mask(network, prefixLength)) + "/" + prefixLength);
        }
    }

    /** The block {@code text}, or an explanation of why it is not one. A bare address is a /32 or /128. */
    public static Parsed parse(String text) {
        if (text == null || text.isBlank()) {
            return new Parsed(Optional.empty(), "CIDR is empty");
        }
        String t = text.trim();
        int slash = t.indexOf('/');
        String addressText = slash < 0 ? t : t.substring(0, slash);
        Optional<InetAddress> parsed = IpAddresses.parseLiteral(addressText);
        if (parsed.isEmpty()) {
            return new Parsed(Optional.empty(), "CIDR '" + text + "': '" + addressText
                    + "' is not an IPv4 or IPv6 address (IPv4 as four decimal parts without leading zeros)");
        }
        // Mapped IPv6 blocks (::ffff:10.0.0.0/104) mean the IPv4 block; parseLiteral has already normalized the
        // address, and the prefix is adjusted below.
        InetAddress address = parsed.get();
        int bits = address.getAddress().length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = t.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return new Parsed(Optional.empty(), "CIDR '" + text + "': prefix length '" + p + "' is not a number");
            }
            prefix = Integer.parseInt(p);
            if (addressText.indexOf(':') >= 0 && address.getAddress().length == 4) {
                prefix -= 96; // ::ffff:a.b.c.d/n -> a.b.c.d/(n-96)
                if (prefix < 0) {
                    return new Parsed(Optional.empty(), "CIDR '" + text + "': an IPv4-mapped block needs a prefix of at"
                            + " least 96");
                }
            }
            if (prefix > bits) {
                return new Parsed(Optional.empty(), "CIDR '" + text + "': prefix length " + p + " is larger than "
                        + bits + " for " + (bits == 32 ? "IPv4" : "IPv6"));
            }
        }
        InetAddress masked = mask(address, prefix);
        if (!masked.equals(address)) {
            return new Parsed(Optional.empty(), "CIDR '" + text + "' has host bits set; write '"
                    + IpAddresses.toText(masked) + "/" + prefix + "'");
        }
        return new Parsed(Optional.of(new Cidr(masked, prefix)), null);
    }

    /** The result of {@link #parse}: a block or a problem, never both. */
    public record Parsed(Optional<Cidr> cidr, String problem) { }

    /** Parses a block that the code itself spells (constants); a typo there is a programming error. */
    public static Cidr of(String text) {
        Parsed p = parse(text);
        return p.cidr().orElseThrow(() -> new IllegalArgumentException(p.problem()));
    }

    public boolean contains(InetAddress address) {
        InetAddress a = IpAddresses.normalize(address);
        byte[] x = a.getAddress();
        byte[] n = network.getAddress();
        if (x.length != n.length) {
            return false;
        }
        return mask(a, prefixLength).equals(network);
    }

    /** True when every address of this block is also in {@code outer}. */
    public boolean within(Cidr outer) {
        return outer.network.getAddress().length == network.getAddress().length
                && prefixLength >= outer.prefixLength && outer.contains(network);
    }

    private static InetAddress mask(InetAddress address, int prefix) {
        byte[] b = address.getAddress().clone();
        for (int i = 0; i < b.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - i * 8));
            b[i] &= (byte) (0xff << (8 - keep));
        }
        return IpAddresses.byAddress(b);
    }

    @Override
    public String toString() {
        return IpAddresses.toText(network) + "/" + prefixLength;
    }
}
