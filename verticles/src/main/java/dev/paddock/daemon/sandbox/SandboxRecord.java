package dev.paddock.daemon.sandbox;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import java.util.Objects;

/**
 * One sandbox as the daemon knows it and as {@code sandbox.json} stores it. Immutable: every change makes a new
 * record, so a record handed to another verticle (or written by a worker thread) never changes under it.
 *
 * @param lastBootMillis how long the last boot took, or -1 before the first
 * @param stateReason    why it is in this state (a failure, an exit, a daemon restart), or null
 */
public record SandboxRecord(String id, SandboxSpec spec, SandboxState state, String stateReason, String driver,
                            String createdAt, String updatedAt, long lastBootMillis) {
    public SandboxRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(driver, "driver");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    public String name() {
        return spec.name();
    }

    /**
     * This record in state {@code to}; refuses a transition the table of {@link SandboxState#next()} does not
     * allow with ILLEGAL_STATE, naming the sandbox, both states and what is allowed.
     */
    public SandboxRecord transition(SandboxState to, String reason, String now) {
        if (!state.canBecome(to)) {
            throw new DaemonException(ErrorCode.ILLEGAL_STATE, "sandbox " + id + " (" + spec.name() + ") is "
                    + state.json() + " and cannot become " + to.json() + "; from " + state.json() + " it can become "
                    + (state.next().isEmpty() ? "nothing" : state.next().stream().map(SandboxState::json).toList()));
        }
        return new SandboxRecord(id, spec, to, reason, driver, createdAt, now, lastBootMillis);
    }

    /** This record with another spec (its ports changed while it ran), updated at {@code now}. */
    public SandboxRecord withSpec(SandboxSpec newSpec, String now) {
        return new SandboxRecord(id, newSpec, state, stateReason, driver, createdAt, now, lastBootMillis);
    }

    public SandboxRecord withLastBootMillis(long millis) {
        return new SandboxRecord(id, spec, state, stateReason, driver, createdAt, updatedAt, millis);
    }

    /** As loaded after a daemon restart: whatever it was, it is not running now. */
    public SandboxRecord asRecovered(String now) {
        if (state == SandboxState.STOPPED) {
            return this;
        }
        return new SandboxRecord(id, spec, SandboxState.STOPPED, "the daemon restarted while it was "
                + state.json() + "; start it again", driver, createdAt, now, lastBootMillis);
    }
}
