package dev.paddock.netpolicy.policy;

import java.util.List;
import java.util.Set;

/**
 * The HTTP part of a rule: methods and path patterns. Empty means "any"; a rule with neither decides on the
 * destination alone. A rule with either needs the request line, so it only applies where the proxy reads HTTP
 * (plain HTTP, or HTTPS it intercepts).
 */
public record HttpMatch(Set<String> methods, List<PathPattern> paths) {
    /** RFC 9110 §9 methods and RFC 5789 PATCH; anything else in a policy is a typo. */
    public static final Set<String> KNOWN_METHODS =
            Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

    public static final HttpMatch ANY = new HttpMatch(Set.of(), List.of());

    public HttpMatch {
        methods = Set.copyOf(methods);
        paths = List.copyOf(paths);
    }

    /** True when this part constrains the request at all. */
    public boolean constrains() {
        return !methods.isEmpty() || !paths.isEmpty();
    }

    /** Whether a request with this (upper-cased) method and canonical path satisfies the constraints. */
    public boolean matches(String method, String canonicalPath) {
        boolean methodOk = methods.isEmpty() || methods.contains(method);
        boolean pathOk = paths.isEmpty() || paths.stream().anyMatch(p -> p.matches(canonicalPath));
        return methodOk && pathOk;
    }
}
