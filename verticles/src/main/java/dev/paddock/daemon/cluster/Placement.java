package dev.paddock.daemon.cluster;

import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a new sandbox goes: the member running the fewest sandboxes (creating, booting, ready or stopping, as the
 * cluster's sandbox map says), ties broken by the smaller node id so every member picks the same one.
 */
public final class Placement {
    /** The states that count as load: a VM (or agent process) is, or is about to be, running. */
    static final Set<String> LOAD_STATES = Set.of("creating", "booting", "ready", "stopping");

    /** A member that can take the sandbox, and its load. */
    public record Candidate(String node, String host, int load) { }

    private Placement() { }

    /** The least-loaded candidate; fails when there is none (no member has announced its API yet). */
    public static Candidate pick(Collection<Candidate> candidates) {
        return candidates.stream()
                .min(Comparator.comparingInt(Candidate::load).thenComparing(Candidate::node))
                .orElseThrow(() -> new IllegalStateException("no cluster member has announced its API yet; retry"
                        + " in a few seconds"));
    }

    /** Sandboxes in a {@link #LOAD_STATES} state per node id, from the cluster's sandbox entries. */
    public static Map<String, Integer> loads(List<JsonObject> entries) {
        Map<String, Integer> load = new HashMap<>();
        for (JsonObject e : entries) {
            if (LOAD_STATES.contains(e.getString("state"))) {
                load.merge(e.getString("node"), 1, Integer::sum);
            }
        }
        return load;
    }
}
