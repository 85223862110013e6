package dev.paddock.netpolicy.dns;

import io.netty.handler.codec.dns.DnsResponseCode;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/**
 * An upstream resolver's answer to one A or AAAA question, reduced to what the filter passes on: the CNAME
 * chain from the asked name and the addresses at its end, with their TTLs. Records off that chain are not
 * carried, so an upstream cannot make the filter remember an address for a name nobody asked about.
 */
public record UpstreamAnswer(DnsResponseCode code, List<Cname> cnames, List<Address> addresses) {
    public UpstreamAnswer {
        Objects.requireNonNull(code, "code");
        cnames = List.copyOf(cnames);
        addresses = List.copyOf(addresses);
    }

    /** {@code name} is an alias of {@code target}. Names are canonical (lower case, no trailing dot). */
    public record Cname(String name, String target, long ttlSeconds) { }

    /** {@code name} has {@code address}. */
    public record Address(String name, InetAddress address, long ttlSeconds) { }
}
