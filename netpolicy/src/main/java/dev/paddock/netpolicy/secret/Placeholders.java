package dev.paddock.netpolicy.secret;

import java.util.regex.Pattern;

/**
 * The text a guest holds instead of a secret: {@code paddock-secret:<name>}. It is what Paddock puts into the
 * guest's environment and into files it writes there; the egress proxy replaces it with the real value only in
 * requests to the secret's bound hosts over intercepted TLS. Anywhere else it travels as is, so a leaked
 * placeholder gives nothing away.
 */
public final class Placeholders {
    public static final String PREFIX = "paddock-secret:";
    /** Secret names: lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64. */
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    private Placeholders() { }

    /** The placeholder for a secret name. */
    public static String of(String name) {
        requireValidName(name);
        return PREFIX + name;
    }

    static String requireValidName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("secret name '" + name + "' is not valid; use 1 to 64 characters of"
                    + " a-z, 0-9, '.', '_' and '-', starting with a letter or digit (e.g. 'github-token')");
        }
        return name;
    }
}
