package dev.paddock.netpolicy.name;

import java.util.Locale;
import java.util.Optional;

/**
 * A host name in its canonical form: lower case, no trailing dot, LDH labels only.
 *
 * <p>The rules are RFC 1035 §2.3.1 (letters, digits, hyphen; a label neither starts nor ends with a hyphen),
 * RFC 1035 §2.3.4 (a label is at most 63 octets, a name at most 255 octets on the wire, which is 253 characters
 * in dotted form without the trailing dot) and RFC 3696 §2 (a top-level label is never all-numeric, so that
 * {@code 127.1} or {@code 0x7f.1} can never be mistaken for an address). Punycode labels ({@code xn--...}) are
 * LDH and pass unchanged; Unicode is not decoded.
 */
public record DomainName(String value) {
    /** RFC 1035 §2.3.4: 63 octets per label. */
    public static final int MAX_LABEL_LENGTH = 63;
    /** RFC 1035 §2.3.4: 255 octets on the wire = 253 characters in dotted form without the root dot. */
    public static final int MAX_NAME_LENGTH = 253;

    public DomainName {
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    /**
     * The canonical form of {@code raw} (lower case, one trailing root dot removed), or empty when it is not a
     * valid LDH host name. Callers that need the reason use {@link #problem(String)}.
     */
    public static Optional<DomainName> parse(String raw) {
        if (raw == null) {
            return Optional.empty();
        }
        String canonical = canonicalize(raw);
        return problem(canonical) == null ? Optional.of(new DomainName(canonical)) : Optional.empty();
    }

    /** Lower case (ASCII only, so no locale surprises) and without one trailing root dot. */
    public static String canonicalize(String raw) {
        String lower = raw.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    /** Why {@code canonical} is not a valid host name, or null when it is. */
    public static String problem(String canonical) {
        if (canonical == null || canonical.isEmpty()) {
            return "host name is empty";
        }
        if (canonical.length() > MAX_NAME_LENGTH) {
            return "host name is " + canonical.length() + " characters long; at most " + MAX_NAME_LENGTH
                    + " are allowed (RFC 1035 §2.3.4)";
        }
        String[] labels = canonical.split("\\.", -1);
        for (String label : labels) {
            String labelProblem = labelProblem(label);
            if (labelProblem != null) {
                return "host name '" + abbreviate(canonical) + "': " + labelProblem;
            }
        }
        String last = labels[labels.length - 1];
        if (last.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return "host name '" + abbreviate(canonical) + "' ends in the all-numeric label '" + last
                    + "', which no top-level domain has (RFC 3696 §2); write an address as an IP literal";
        }
        return null;
    }

    static String labelProblem(String label) {
        if (label.isEmpty()) {
            return "has an empty label (two dots in a row, or a leading dot)";
        }
        if (label.length() > MAX_LABEL_LENGTH) {
            return "label of " + label.length() + " characters; at most " + MAX_LABEL_LENGTH + " are allowed";
        }
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            boolean ldh = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
            if (!ldh) {
                return "label '" + label + "' contains '" + printable(c)
                        + "'; only letters, digits and '-' are allowed (punycode for Unicode names)";
            }
        }
        if (label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') {
            return "label '" + label + "' starts or ends with '-'";
        }
        return null;
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c);
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    @Override
    public String toString() {
        return value;
    }
}
