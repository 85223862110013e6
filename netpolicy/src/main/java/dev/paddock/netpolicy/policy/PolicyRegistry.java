package dev.paddock.netpolicy.policy;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live policy of every sandbox. Readers ({@link #current}) take no lock and always see one whole
 * {@link PolicySet}; writers validate first (parsing throws before anything changes), then swap. Every change,
 * global or per sandbox, takes a new version number from one counter, so an audit event's version orders it
 * against every update.
 */
public final class PolicyRegistry {
    private final Object writeLock = new Object();
    private final Map<String, PolicySet> sets = new ConcurrentHashMap<>();
    private volatile PolicyLayer global;
    private long version; // guarded by writeLock

    public PolicyRegistry(PolicyLayer global) {
        this.global = requireScope(global, Scope.GLOBAL);
    }

    /** The sandbox's policy now, or empty for a sandbox that was never registered (or was removed). */
    public Optional<PolicySet> current(String sandboxId) {
        return Optional.ofNullable(sets.get(sandboxId));
    }

    public PolicyLayer global() {
        return global;
    }

    /** Registers a sandbox, or replaces its layer; returns the set now in force. */
    public PolicySet putSandbox(String sandboxId, PolicyLayer layer) {
        requireSandboxId(sandboxId);
        requireScope(layer, Scope.SANDBOX);
        synchronized (writeLock) {
            PolicySet set = new PolicySet(++version, global, layer);
            sets.put(sandboxId, set);
            return set;
        }
    }

    /** Parses and applies a sandbox layer; on a {@link PolicyException} nothing changed. */
    public PolicySet putSandbox(String sandboxId, String json) throws PolicyException {
        return putSandbox(sandboxId, PolicyParser.parse(Scope.SANDBOX, json));
    }

    /** Replaces the global layer for every sandbox at once; returns the new version. */
    public long putGlobal(PolicyLayer layer) {
        requireScope(layer, Scope.GLOBAL);
        synchronized (writeLock) {
            long v = ++version;
            global = layer;
            sets.replaceAll((id, old) -> new PolicySet(v, layer, old.sandbox()));
            return v;
        }
    }

    /** Parses and applies a global layer; on a {@link PolicyException} nothing changed. */
    public long putGlobal(String json) throws PolicyException {
        return putGlobal(PolicyParser.parse(Scope.GLOBAL, json));
    }

    /** Forgets a sandbox; its later decisions are denials for an unknown sandbox. */
    public void removeSandbox(String sandboxId) {
        synchronized (writeLock) {
            sets.remove(sandboxId);
        }
    }

    private static PolicyLayer requireScope(PolicyLayer layer, Scope scope) {
        Objects.requireNonNull(layer, "layer");
        if (layer.scope() != scope) {
            throw new IllegalArgumentException("expected a " + scope.label() + " layer, got a " + layer.scope().label()
                    + " layer; parse it with Scope." + scope);
        }
        return layer;
    }

    private static void requireSandboxId(String sandboxId) {
        if (sandboxId == null || sandboxId.isBlank()) {
            throw new IllegalArgumentException("sandbox id is empty");
        }
    }
}
