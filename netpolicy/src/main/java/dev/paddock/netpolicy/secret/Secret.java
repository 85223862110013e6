package dev.paddock.netpolicy.secret;

import dev.paddock.netpolicy.name.DomainName;
import dev.paddock.netpolicy.name.DomainPattern;
import java.util.List;
import java.util.Objects;

/**
 * One secret as the host holds it. The value never leaves the host except in requests to {@code hosts} over
 * intercepted TLS; {@link #toString()} never shows it.
 *
 * @param name   the secret's name; the guest sees {@link Placeholders#of(String) paddock-secret:name}
 * @param value  the real credential (printable ASCII without CR/LF, since it ends up in a header)
 * @param hosts  the host patterns ({@code api.github.com}, {@code *.example.com}, {@code **.example.com}) it is
 *               bound to; at least one
 * @param inject where in a request it goes
 */
public record Secret(String name, String value, List<DomainPattern> hosts, SecretInjection inject) {
    /** Keeps a stored value to what a header carries in practice. */
    public static final int MAX_VALUE_LENGTH = 8192;

    public Secret {
        Placeholders.requireValidName(name);
        Objects.requireNonNull(value, "value");
        if (value.isEmpty() || value.length() > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("secret '" + name + "' has a value of " + value.length()
                    + " characters; it must have 1 to " + MAX_VALUE_LENGTH);
        }
        requireHeaderSafe("secret '" + name + "' value", value);
        if (value.contains(Placeholders.PREFIX)) {
            throw new IllegalArgumentException("secret '" + name + "' value contains '" + Placeholders.PREFIX
                    + "'; store the real credential, not a placeholder");
        }
        hosts = List.copyOf(hosts);
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("secret '" + name + "' is bound to no host; name at least one host"
                    + " pattern such as 'api.github.com'");
        }
        Objects.requireNonNull(inject, "inject");
    }

    public String placeholder() {
        return Placeholders.PREFIX + name;
    }

    public boolean boundTo(DomainName host) {
        for (DomainPattern p : hosts) {
            if (p.matches(host)) {
                return true;
            }
        }
        return false;
    }

    /** What may be shown of this secret: everything but the value. */
    public SecretInfo info() {
        return new SecretInfo(name, placeholder(), hosts.stream().map(DomainPattern::toString).toList(),
                inject.header(), inject.format().orElse(null));
    }

    @Override
    public String toString() {
        return "Secret[" + name + " -> " + hosts + ", header " + inject.header() + ", value hidden]";
    }

    /** Header values are visible ASCII and spaces only (RFC 9110 §5.5 field-vchar, no obs-text): no CR/LF splitting. */
    static void requireHeaderSafe(String what, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException(what + " has a control or non-ASCII character at index " + i
                        + "; header values carry printable ASCII only");
            }
        }
    }
}
