package dev.paddock.netpolicy.policy;

import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One policy rule. {@code id} is what audit events and denial messages name: the user's own id, or one derived
 * from the layer and position ({@code sandbox#3}), or the preset's ({@code balanced:github}).
 */
public record Rule(String id, Action action, RuleTarget target, PortSet ports, HttpMatch http) {
    public Rule {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(http, "http");
    }

    /** The rule as one line, for audit events and denial messages. */
    public String text() {
        StringBuilder sb = new StringBuilder(action.json()).append(' ').append(target);
        if (!ports.isAny() && !(target instanceof RuleTarget.HostPort)) {
            sb.append(" ports ").append(ports);
        }
        if (!http.methods().isEmpty()) {
            sb.append(" methods ").append(http.methods().stream().sorted().collect(Collectors.joining(",")));
        }
        if (!http.paths().isEmpty()) {
            sb.append(" paths ").append(http.paths().stream().map(PathPattern::text).collect(Collectors.joining(",")));
        }
        return sb.toString();
    }
}
