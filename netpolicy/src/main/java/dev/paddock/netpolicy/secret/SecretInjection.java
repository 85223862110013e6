package dev.paddock.netpolicy.secret;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a secret goes in a request to one of its bound hosts.
 *
 * <ul>
 *   <li>If the request carries header {@code header} and its value contains the placeholder, each occurrence of
 *       the placeholder is replaced by the secret's value (the guest wrote {@code Authorization: Bearer
 *       paddock-secret:gh} from its environment).</li>
 *   <li>If the request lacks the header and {@code format} is present, the proxy adds the header as
 *       {@code format} with {@value #VALUE_TOKEN} replaced by the value (a tool that never reads the
 *       environment still authenticates).</li>
 * </ul>
 * Placeholders in other headers, the request line or the body are left alone.
 *
 * @param header the header name (RFC 9110 token), kept lower-case
 * @param format the header value to add when the request has none, containing {@value #VALUE_TOKEN} once
 */
public record SecretInjection(String header, Optional<String> format) {
    public static final String VALUE_TOKEN = "{value}";
    // RFC 9110 §5.1: field-name = token; tchar per §5.6.2.
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}");

    public SecretInjection {
        if (header == null || !TOKEN.matcher(header).matches()) {
            throw new IllegalArgumentException("injection header '" + header + "' is not an HTTP header name; use"
                    + " a name such as 'Authorization' or 'X-Api-Key'");
        }
        header = header.toLowerCase(Locale.ROOT);
        Objects.requireNonNull(format, "format");
        if (format.isPresent()) {
            String f = format.get();
            int at = f.indexOf(VALUE_TOKEN);
            if (at < 0 || f.indexOf(VALUE_TOKEN, at + 1) >= 0) {
                throw new IllegalArgumentException("injection format '" + f + "' must contain " + VALUE_TOKEN
                        + " exactly once, e.g. 'Bearer " + VALUE_TOKEN + "'");
            }
            Secret.requireHeaderSafe("injection format", f);
        }
    }

    /** The header as this injection adds it, or empty when it only replaces placeholders. */
    Optional<String> added(String value) {
        return format.map(f -> f.replace(VALUE_TOKEN, value));
    }
}
