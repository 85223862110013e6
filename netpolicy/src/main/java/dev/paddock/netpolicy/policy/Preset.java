package dev.paddock.netpolicy.policy;

import java.util.Optional;

/** The named starting points a policy document can build on; their rules live in {@code presets.json}. */
public enum Preset {
    /** Default allow, and any public address by IP literal. Host protection and private ranges still apply. */
    OPEN("open"),
    /** Default deny; AI APIs, package registries and code hosts allowed over their usual ports. */
    BALANCED("balanced"),
    /** Default deny, no rules. */
    LOCKED_DOWN("locked-down");

    private final String json;

    Preset(String json) {
        this.json = json;
    }

    public String json() {
        return json;
    }

    public static Optional<Preset> fromJson(String text) {
        for (Preset p : values()) {
            if (p.json.equals(text)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
