package dev.paddock.netpolicy.proxy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * How the egress proxy listens and connects.
 *
 * @param bindAddress     loopback only: the guest reaches the proxy through the vsock bridge, never a network
 * @param handoffPort     the hand-off listener ({@link HandoffPreamble}), 0 = ephemeral, -1 = none
 * @param explicitPort    the explicit proxy listener (absolute-form HTTP and CONNECT), 0 = ephemeral, -1 = none
 * @param explicitSandbox the sandbox the explicit listener serves (one listener per sandbox), when it listens
 * @param classifyTimeout how long a connection may stay silent before it is treated as opaque TCP (protocols
 *                        where the server speaks first)
 * @param connectTimeout  upstream connect timeout
 * @param extraTrust      CA certificates trusted upstream besides the JDK's default trust store
 * @param dialRoute       maps a decided destination to the socket actually dialled; identity in production.
 *                        Tests and benchmarks map public test addresses onto loopback servers, because loopback
 *                        itself is host-protected and can never be a destination
 */
public record EgressProxyOptions(InetAddress bindAddress, int handoffPort, int explicitPort,
                                 Optional<String> explicitSandbox, Duration classifyTimeout, Duration connectTimeout,
                                 List<X509Certificate> extraTrust, UnaryOperator<InetSocketAddress> dialRoute) {
    public EgressProxyOptions {
        Objects.requireNonNull(bindAddress, "bindAddress");
        if (!bindAddress.isLoopbackAddress()) {
            throw new IllegalArgumentException("the egress proxy binds to loopback only, not "
                    + bindAddress.getHostAddress() + "; guests reach it through the vsock bridge. Use 127.0.0.1 or ::1");
        }
        for (int p : new int[] {handoffPort, explicitPort}) {
            if (p < -1 || p > 65535) {
                throw new IllegalArgumentException("egress proxy port " + p + " is outside -1..65535 (0 = ephemeral,"
                        + " -1 = no listener)");
            }
        }
        Objects.requireNonNull(explicitSandbox, "explicitSandbox");
        if (explicitPort >= 0 && explicitSandbox.isEmpty()) {
            throw new IllegalArgumentException("the explicit proxy listener on port " + explicitPort
                    + " needs the sandbox it serves; set explicitSandbox or use -1 for no listener");
        }
        Objects.requireNonNull(classifyTimeout, "classifyTimeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        extraTrust = List.copyOf(extraTrust);
        Objects.requireNonNull(dialRoute, "dialRoute");
    }

    /** Loopback, ephemeral hand-off listener, an explicit listener for {@code sandbox}, direct dialling. */
    public static EgressProxyOptions loopback(String sandbox) {
        return new EgressProxyOptions(InetAddress.getLoopbackAddress(), 0, 0, Optional.of(sandbox),
                Duration.ofMillis(500), Duration.ofSeconds(10), List.of(), UnaryOperator.identity());
    }

    public EgressProxyOptions withExtraTrust(List<X509Certificate> cas) {
        return new EgressProxyOptions(bindAddress, handoffPort, explicitPort, explicitSandbox, classifyTimeout,
                connectTimeout, cas, dialRoute);
    }

    public EgressProxyOptions withDialRoute(UnaryOperator<InetSocketAddress> route) {
        return new EgressProxyOptions(bindAddress, handoffPort, explicitPort, explicitSandbox, classifyTimeout,
                connectTimeout, extraTrust, route);
    }
}
