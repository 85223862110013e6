package dev.paddock.netpolicy.policy;

import java.util.Locale;
import java.util.Optional;

/**
 * The canonical form of a request path, which path rules match against.
 *
 * <p>Servers read {@code /a/../admin}, {@code /a/%2e%2e/admin}, {@code //admin} and {@code /admin?x} as
 * {@code /admin}, so matching the raw text would let a request around a deny rule. Canonical form drops the query
 * and fragment and collapses repeated slashes; dot segments and encoded {@code / \ .} are refused outright rather
 * than interpreted, because servers disagree about them.
 */
public final class RequestPaths {
    // GUEST-CONTROLLED: the request path comes from the guest; longer paths are refused before matching.
    public static final int MAX_PATH_LENGTH = 8192;

    private RequestPaths() { }

    /** The canonical path, or empty when the path is not acceptable to match against. */
    public static Optional<String> canonical(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/' || rawPath.length() > MAX_PATH_LENGTH) {
            return Optional.empty();
        }
        int end = rawPath.length();
        int q = rawPath.indexOf('?');
        int h = rawPath.indexOf('#');
        if (q >= 0) {
            end = q;
        }
        if (h >= 0 && h < end) {
            end = h;
        }
        String path = rawPath.substring(0, end);
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%2e") || path.indexOf('\\') >= 0) {
            return Optional.empty();
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                return Optional.empty();
            }
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (String segment : path.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return Optional.empty();
            }
            if (segment.isEmpty()) {
                continue;
            }
            sb.append('/').append(segment);
        }
        if (sb.length() == 0 || path.endsWith("/")) {
            sb.append('/');
        }
        return Optional.of(sb.toString());
    }
}
