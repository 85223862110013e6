package dev.paddock.netpolicy.dns;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how one sandbox's DNS filter listens.
 *
 * @param bindAddress   a loopback address: the guest reaches the filter only through the vsock bridge on the
 *                      host, never over a network
 * @param port          the UDP and TCP port; 0 picks an ephemeral port for each (tests)
 * @param upstreamTimeout how long an allowed name may take upstream before the guest gets SERVFAIL
 * @param tcpIdleTimeout how long a TCP client may stay connected without sending a query
 */
public record DnsFilterOptions(InetAddress bindAddress, int port, Duration upstreamTimeout, Duration tcpIdleTimeout) {
    public DnsFilterOptions {
        Objects.requireNonNull(bindAddress, "bindAddress");
        if (!bindAddress.isLoopbackAddress()) {
            throw new IllegalArgumentException("the DNS filter binds to loopback only, not " + bindAddress.getHostAddress()
                    + "; the guest reaches it through the vsock bridge. Use 127.0.0.1 or ::1");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("DNS filter port " + port + " is outside 0..65535 (0 = ephemeral)");
        }
        Objects.requireNonNull(upstreamTimeout, "upstreamTimeout");
        Objects.requireNonNull(tcpIdleTimeout, "tcpIdleTimeout");
    }

    public static DnsFilterOptions loopback(int port) {
        return new DnsFilterOptions(InetAddress.getLoopbackAddress(), port, Duration.ofSeconds(5), Duration.ofSeconds(30));
    }
}
