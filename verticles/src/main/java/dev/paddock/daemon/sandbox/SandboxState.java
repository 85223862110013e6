package dev.paddock.daemon.sandbox;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * A sandbox's lifecycle state (docs/api.md, "Sandbox states"):
 * creating → booting → ready → stopping → stopped, plus failed and removed. {@link #canBecome} is the whole
 * transition table; everything else is refused.
 */
public enum SandboxState {
    CREATING, BOOTING, READY, STOPPING, STOPPED, FAILED, REMOVED;

    /** The states this one may move to. */
    public Set<SandboxState> next() {
        return switch (this) {
            // start=false leaves a new sandbox stopped without booting it.
            case CREATING -> EnumSet.of(BOOTING, STOPPED, FAILED);
            // A stop during boot goes through stopping, like a stop when ready.
            case BOOTING -> EnumSet.of(READY, STOPPING, FAILED);
            case READY -> EnumSet.of(STOPPING, FAILED);
            case STOPPING -> EnumSet.of(STOPPED, FAILED);
            case STOPPED, FAILED -> EnumSet.of(BOOTING, REMOVED);
            case REMOVED -> EnumSet.noneOf(SandboxState.class);
        };
    }

    public boolean canBecome(SandboxState to) {
        return next().contains(to);
    }

    /** True while the sandbox's VM (or agent process) may be running. */
    public boolean isLive() {
        return this == BOOTING || this == READY || this == STOPPING;
    }

    /** The API's spelling: lower case. */
    public String json() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static SandboxState fromJson(String text) {
        return valueOf(text.toUpperCase(Locale.ROOT));
    }
}
