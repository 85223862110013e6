package dev.paddock.netpolicy.secret;

import java.util.Objects;

/** One HTTP header field as the proxy read it from the guest (GUEST-CONTROLLED) or will send it upstream. */
public record HeaderField(String name, String value) {
    public HeaderField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
    }
}
