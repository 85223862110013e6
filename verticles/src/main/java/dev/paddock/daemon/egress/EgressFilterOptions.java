package dev.paddock.daemon.egress;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Operator and test knobs of the egress filters, from the daemon's environment (all optional; production uses
 * none):
 * <ul>
 *   <li>{@code PADDOCK_EGRESS_DNS_SERVER=ip:port}: resolve allowed names through this server instead of the host's
 *       {@code /etc/resolv.conf} resolvers;</li>
 *   <li>{@code PADDOCK_EGRESS_DIAL_ROUTE=ip:port=ip:port,...}: netpolicy's dial route — a decided destination on
 *       the left is dialled at the right (tests put upstream servers behind public test addresses, because every
 *       address of the host is host-protected);</li>
 *   <li>{@code PADDOCK_EGRESS_EXTRA_CA=file.pem}: CA certificates trusted upstream besides the JDK's.</li>
 *   <li>{@code PADDOCK_EGRESS_CLASSIFY_TIMEOUT_MS=N}: how long a guest connection may stay silent before the proxy
 *       treats it as opaque TCP (a protocol where the server speaks first, such as SSH or SMTP), default
 *       {@value #DEFAULT_CLASSIFY_TIMEOUT_MS}. Clients of TLS and HTTP speak first and never wait for it; a
 *       server-first protocol's banner comes that much later. Half a second was too short for a curl in a microVM
 *       under the emulated accelerator, whose ClientHello came later than that and was then refused as opaque
 *       TCP. (Envoy's TLS inspector waits 15 s by default.)</li>
 * </ul>
 * The same knobs as system properties ({@code paddock.egress.dnsServer}, {@code paddock.egress.dialRoute},
 * {@code paddock.egress.extraCa}, {@code paddock.egress.classifyTimeoutMs}) win over the environment: ITs run the
 * daemon in their own JVM.
 */
public record EgressFilterOptions(Optional<InetSocketAddress> dnsServer, UnaryOperator<InetSocketAddress> dialRoute,
                                  Optional<Path> extraCa, Duration classifyTimeout) {
    public static final long DEFAULT_CLASSIFY_TIMEOUT_MS = 3000;
    public static final EgressFilterOptions DEFAULTS = new EgressFilterOptions(Optional.empty(),
            UnaryOperator.identity(), Optional.empty(), Duration.ofMillis(DEFAULT_CLASSIFY_TIMEOUT_MS));

    public EgressFilterOptions {
        if (classifyTimeout.isNegative() || classifyTimeout.isZero()) {
            throw new IllegalArgumentException("the egress classify timeout must be positive, not " + classifyTimeout);
        }
    }

    /** The environment, with the system properties over it. */
    public static EgressFilterOptions fromEnvironmentAndProperties() {
        Map<String, String> env = new HashMap<>(System.getenv());
        Map.of("paddock.egress.dnsServer", "PADDOCK_EGRESS_DNS_SERVER",
                "paddock.egress.dialRoute", "PADDOCK_EGRESS_DIAL_ROUTE",
                "paddock.egress.extraCa", "PADDOCK_EGRESS_EXTRA_CA",
                "paddock.egress.classifyTimeoutMs", "PADDOCK_EGRESS_CLASSIFY_TIMEOUT_MS").forEach((prop, var) -> {
                    String v = System.getProperty(prop);
                    if (v != null) {
                        env.put(var, v);
                    }
                });
        return fromEnvironment(env);
    }

    public static EgressFilterOptions fromEnvironment(Map<String, String> env) {
        Optional<InetSocketAddress> dns = Optional.ofNullable(env.get("PADDOCK_EGRESS_DNS_SERVER"))
                .map(v -> socket("PADDOCK_EGRESS_DNS_SERVER", v));
        String routes = env.getOrDefault("PADDOCK_EGRESS_DIAL_ROUTE", "");
        Map<InetSocketAddress, InetSocketAddress> map = new HashMap<>();
        for (String entry : routes.split(",")) {
            if (entry.isBlank()) {
                continue;
            }
            String[] sides = entry.strip().split("=");
            if (sides.length != 2) {
                throw new IllegalArgumentException("PADDOCK_EGRESS_DIAL_ROUTE entry '" + entry
                        + "' is not 'ip:port=ip:port'");
            }
            map.put(socket("PADDOCK_EGRESS_DIAL_ROUTE", sides[0]), socket("PADDOCK_EGRESS_DIAL_ROUTE", sides[1]));
        }
        Map<InetSocketAddress, InetSocketAddress> routeMap = Map.copyOf(map);
        UnaryOperator<InetSocketAddress> route = routeMap.isEmpty() ? UnaryOperator.identity()
                : d -> routeMap.getOrDefault(new InetSocketAddress(d.getAddress(), d.getPort()), d);
        String classify = env.get("PADDOCK_EGRESS_CLASSIFY_TIMEOUT_MS");
        long classifyMs = DEFAULT_CLASSIFY_TIMEOUT_MS;
        if (classify != null) {
            try {
                classifyMs = Long.parseLong(classify.strip());
            } catch (NumberFormatException e) {
                classifyMs = -1;
            }
            if (classifyMs < 1 || classifyMs > 600_000) {
                throw new IllegalArgumentException("PADDOCK_EGRESS_CLASSIFY_TIMEOUT_MS: '" + classify
                        + "' is not a number of milliseconds from 1 to 600000");
            }
        }
        return new EgressFilterOptions(dns, route,
                Optional.ofNullable(env.get("PADDOCK_EGRESS_EXTRA_CA")).map(Path::of), Duration.ofMillis(classifyMs));
    }

    /** {@code 1.2.3.4:53} or {@code [2001:db8::1]:53}; literals only, nothing is resolved. */
    static InetSocketAddress socket(String what, String text) {
        int colon = text.lastIndexOf(':');
        String host = colon > 0 ? text.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            var ip = dev.paddock.netpolicy.address.IpAddresses.parseLiteral(host);
            if (ip.isEmpty() || port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(ip.get(), port);
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not an IP literal and port, e.g."
                    + " 203.0.113.10:443 or [2001:db8::1]:443");
        }
    }
}
