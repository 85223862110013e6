package dev.paddock.netpolicy.policy;

import java.util.Locale;
import java.util.Optional;

/** What a rule or a default does with a matching connection. */
public enum Action {
    ALLOW, DENY;

    /** The spelling in policy JSON: {@code allow} or {@code deny}. */
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Action> fromJson(String text) {
        for (Action a : values()) {
            if (a.json().equals(text)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
