package dev.paddock.netpolicy.policy;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An HTTP path pattern: starts with {@code /}; {@code *} matches within one segment, {@code **} matches across
 * segments ({@code /repos/**} matches {@code /repos/a/b}). Patterns match the path only, never the query, and
 * only against a canonical path (see {@link RequestPaths}).
 */
public record PathPattern(String text, Pattern regex) {
    /** Longest pattern accepted, the same bound as {@link RequestPaths#MAX_PATH_LENGTH}. */
    public static final int MAX_LENGTH = 2048;

    public static Parsed parse(String text) {
        if (text == null || !text.startsWith("/")) {
            return new Parsed(Optional.empty(), "path pattern '" + text + "' must start with '/'");
        }
        if (text.length() > MAX_LENGTH) {
            return new Parsed(Optional.empty(), "path pattern is " + text.length() + " characters; at most "
                    + MAX_LENGTH + " are allowed");
        }
        if (text.contains("***")) {
            return new Parsed(Optional.empty(), "path pattern '" + text + "' has '***'; use '*' (one segment) or"
                    + " '**' (any number of segments)");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == '?' || c == '#' || c == '\\') {
                return new Parsed(Optional.empty(), "path pattern '" + text + "' contains '" + c
                        + "'; patterns match the path only, without query, fragment, spaces or backslashes");
            }
        }
        String canonical = RequestPaths.canonical(text.replace("*", "x")).orElse(null);
        if (canonical == null) {
            return new Parsed(Optional.empty(), "path pattern '" + text + "' has '.', '..' or an encoded '/', '\\'"
                    + " or '.' segment; write the canonical path");
        }
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' && i + 1 < text.length() && text.charAt(i + 1) == '*') {
                re.append(".*");
                i++;
            } else if (c == '*') {
                re.append("[^/]*");
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return new Parsed(Optional.of(new PathPattern(text, Pattern.compile(re.toString()))), null);
    }

    public record Parsed(Optional<PathPattern> pattern, String problem) { }

    /** Whether the canonical request path matches. */
    public boolean matches(String canonicalPath) {
        return regex.matcher(canonicalPath).matches();
    }

    @Override
    public String toString() {
        return text;
    }
}
