package dev.paddock.netpolicy.policy;

import java.util.Objects;

/**
 * The policy one sandbox runs under at one moment: the global layer and its own layer, with the registry's
 * version at the time they were combined. Immutable; a live update swaps in a new set.
 */
public record PolicySet(long version, PolicyLayer global, PolicyLayer sandbox) {
    public PolicySet {
        Objects.requireNonNull(global, "global");
        Objects.requireNonNull(sandbox, "sandbox");
        if (global.scope() != Scope.GLOBAL || sandbox.scope() != Scope.SANDBOX) {
            throw new IllegalArgumentException("a policy set takes a global layer and a sandbox layer, in that order");
        }
    }
}
