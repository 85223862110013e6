package dev.paddock.netpolicy.name;

import java.util.Optional;

/**
 * A domain as a policy names it: an exact name, {@code *.suffix} (exactly one label in front of the suffix) or
 * {@code **.suffix} (one or more labels in front of it). A wildcard is only ever the whole leftmost label:
 * {@code a.*.b}, {@code *foo.com}, {@code *.*.com} and a bare {@code *} are rejected, because each reads as
 * something other than what it matches. Neither wildcard matches the suffix itself: {@code **.github.com} does not
 * match {@code github.com}, so policies list both when they mean both.
 */
public record DomainPattern(Kind kind, DomainName suffix) {
    public enum Kind { EXACT, ONE_LABEL, ANY_LABELS }

    /** The pattern {@code text}, or an explanation of why it is not one. */
    public static Parsed parse(String text) {
        if (text == null || text.isBlank()) {
            return new Parsed(Optional.empty(), "domain pattern is empty");
        }
        String canonical = DomainName.canonicalize(text.trim());
        Kind kind = Kind.EXACT;
        String rest = canonical;
        if (canonical.startsWith("**.")) {
            kind = Kind.ANY_LABELS;
            rest = canonical.substring(3);
        } else if (canonical.startsWith("*.")) {
            kind = Kind.ONE_LABEL;
            rest = canonical.substring(2);
        }
        if (rest.contains("*")) {
            return new Parsed(Optional.empty(), "domain pattern '" + text + "' has a wildcard that is not the whole"
                    + " leftmost label; write '*.example.com' (one label) or '**.example.com' (one or more labels)");
        }
        String problem = DomainName.problem(rest);
        if (problem != null) {
            return new Parsed(Optional.empty(), "domain pattern '" + text + "': " + problem);
        }
        if (kind != Kind.EXACT && rest.indexOf('.') < 0) {
            return new Parsed(Optional.empty(), "domain pattern '" + text + "' puts a wildcard directly on the"
                    + " top-level domain '" + rest + "'; name a registrable domain such as '*.example." + rest + "'");
        }
        return new Parsed(Optional.of(new DomainPattern(kind, new DomainName(rest))), null);
    }

    /** The result of {@link #parse}: a pattern or a problem, never both. */
    public record Parsed(Optional<DomainPattern> pattern, String problem) { }

    public boolean matches(DomainName name) {
        String n = name.value();
        String s = suffix.value();
        return switch (kind) {
            case EXACT -> n.equals(s);
            case ONE_LABEL -> n.length() > s.length() + 1 && n.endsWith("." + s)
                    && n.indexOf('.') == n.length() - s.length() - 1;
            case ANY_LABELS -> n.length() > s.length() + 1 && n.endsWith("." + s);
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case EXACT -> suffix.value();
            case ONE_LABEL -> "*." + suffix.value();
            case ANY_LABELS -> "**." + suffix.value();
        };
    }
}
