package dev.paddock.netpolicy.policy;

/** Which layer of a {@link PolicySet} a rule or default belongs to. */
public enum Scope {
    /** Applies to every sandbox; its deny rules are absolute. */
    GLOBAL("global"),
    /** Applies to one sandbox; it may narrow anything and widen only by naming destinations. */
    SANDBOX("sandbox");

    private final String label;

    Scope(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
