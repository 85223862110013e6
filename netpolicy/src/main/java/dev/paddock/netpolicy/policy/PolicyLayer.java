package dev.paddock.netpolicy.policy;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One validated layer of policy: an optional default and the rules, in order. A global layer always has a
 * default (deny when the document names none); a sandbox layer without one inherits the global default.
 * {@code preset} records which preset the layer started from, for display.
 */
public record PolicyLayer(Scope scope, Optional<Preset> preset, Optional<Action> defaultAction, List<Rule> rules) {
    public PolicyLayer {
        Objects.requireNonNull(scope, "scope");
        Objects.requireNonNull(preset, "preset");
        Objects.requireNonNull(defaultAction, "defaultAction");
        rules = List.copyOf(rules);
        if (scope == Scope.GLOBAL && defaultAction.isEmpty()) {
            throw new IllegalArgumentException("the global layer needs a default action");
        }
    }

    /** The global layer Paddock starts with before any policy is set: deny everything. */
    public static PolicyLayer globalDenyAll() {
        return new PolicyLayer(Scope.GLOBAL, Optional.empty(), Optional.of(Action.DENY), List.of());
    }

    /** A sandbox layer that adds nothing: the sandbox follows the global layer. */
    public static PolicyLayer emptySandbox() {
        return new PolicyLayer(Scope.SANDBOX, Optional.empty(), Optional.empty(), List.of());
    }
}
