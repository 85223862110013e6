package dev.paddock.netpolicy.policy;

import java.util.List;

/**
 * A policy document that cannot be applied, with every problem found. Each problem names where it is
 * ({@code rules[2] (id "gh").cidr}) and what to write instead. Nothing of a rejected document is applied.
 */
public final class PolicyException extends Exception {
    private final List<String> problems;

    public PolicyException(List<String> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        if (problems.size() == 1) {
            return "policy rejected, nothing applied: " + problems.get(0);
        }
        StringBuilder sb = new StringBuilder("policy rejected, nothing applied (" + problems.size() + " problems):");
        for (String p : problems) {
            sb.append("\n  - ").append(p);
        }
        return sb.toString();
    }
}
