package dev.paddock.netpolicy.secret;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A secret as it may be listed or shown: never its value.
 *
 * @param name        the secret's name
 * @param placeholder what the guest holds instead ({@code paddock-secret:name})
 * @param hosts       the bound host patterns
 * @param header      the header it goes into
 * @param format      the header value added when the request has none, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SecretInfo(String name, String placeholder, List<String> hosts, String header, String format) {
    public SecretInfo {
        hosts = List.copyOf(hosts);
    }
}
