package dev.paddock.netpolicy.decision;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What the host knows about one outbound connection or request when it asks for a decision.
 *
 * @param sandboxId     which sandbox opened it
 * @param destination   the original destination address (GUEST-CONTROLLED)
 * @param port          the original destination port (GUEST-CONTROLLED)
 * @param sni           the TLS server name, when the connection is TLS and sent one (GUEST-CONTROLLED)
 * @param host          the HTTP Host header or CONNECT authority, when known (GUEST-CONTROLLED)
 * @param request       the request line, once the proxy has read it (plain HTTP or intercepted HTTPS)
 * @param resolvedNames the names this sandbox's DNS answers mapped to {@code destination}, still within their TTL
 */
public record EgressRequest(String sandboxId, InetAddress destination, int port, Optional<String> sni,
                            Optional<String> host, Optional<RequestLine> request, Set<String> resolvedNames) {
    public EgressRequest {
        Objects.requireNonNull(sandboxId, "sandboxId");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(sni, "sni");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(request, "request");
        resolvedNames = Set.copyOf(resolvedNames);
    }

    /** An HTTP request line: method and request target path (GUEST-CONTROLLED). */
    public record RequestLine(String method, String path) {
        public RequestLine {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
        }
    }
}
