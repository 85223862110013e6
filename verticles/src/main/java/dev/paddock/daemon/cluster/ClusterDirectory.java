package dev.paddock.daemon.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster's shared view, three Hazelcast-backed maps (values are JSON text):
 * {@value #SANDBOXES}: sandbox id → the sandbox as the API shows it plus {@code node} and {@code host}, written by
 * the member that runs it at every state change; {@value #NAMES}: name → sandbox id, the cluster-wide name
 * reservations; {@value #MEMBERS}: node id → {@link Member}, where each member's API is reached.
 */
public final class ClusterDirectory {
    public static final String SANDBOXES = "paddock.sandboxes";
    public static final String NAMES = "paddock.names";
    public static final String MEMBERS = "paddock.members";
    static final List<String> MAPS = List.of(SANDBOXES, NAMES, MEMBERS);
    /** The state a sandbox shows once the member that ran it has left the cluster. */
    public static final String LOST = "lost";

    /** One member: its node id, its host label, and its TCP API as HOST:PORT. */
    public record Member(String node, String host, String api) {
        JsonObject json() {
            return new JsonObject().put("node", node).put("host", host).put("api", api);
        }

        static Member of(String json) {
            JsonObject j = new JsonObject(json);
            return new Member(j.getString("node"), j.getString("host"), j.getString("api"));
        }
    }

    private final AsyncMap<String, String> sandboxes;
    private final AsyncMap<String, String> names;
    private final AsyncMap<String, String> members;

    private ClusterDirectory(AsyncMap<String, String> sandboxes, AsyncMap<String, String> names,
                             AsyncMap<String, String> members) {
        this.sandboxes = sandboxes;
        this.names = names;
        this.members = members;
    }

    public static Future<ClusterDirectory> open(Vertx vertx) {
        var shared = vertx.sharedData();
        Future<AsyncMap<String, String>> s = shared.getClusterWideMap(SANDBOXES);
        Future<AsyncMap<String, String>> n = shared.getClusterWideMap(NAMES);
        Future<AsyncMap<String, String>> m = shared.getClusterWideMap(MEMBERS);
        return Future.all(s, n, m).map(v -> new ClusterDirectory(s.result(), n.result(), m.result()));
    }

    // ---- sandboxes

    public Future<Void> putSandbox(JsonObject entry) {
        return sandboxes.put(entry.getString("id"), entry.encode());
    }

    public Future<Void> removeSandbox(String id) {
        return sandboxes.remove(id).mapEmpty();
    }

    /** Every sandbox of the cluster, oldest first. */
    public Future<List<JsonObject>> sandboxes() {
        return sandboxes.values().map(values -> {
            List<JsonObject> all = new ArrayList<>();
            values.forEach(v -> all.add(new JsonObject(v)));
            all.sort(Comparator.comparing((JsonObject j) -> j.getString("createdAt", ""))
                    .thenComparing(j -> j.getString("id", "")));
            return all;
        });
    }

    /** The entry of the sandbox with this id or name, or null. */
    public Future<JsonObject> find(String ref) {
        return sandboxes.get(ref).compose(byId -> byId != null ? Future.succeededFuture(new JsonObject(byId))
                : names.get(ref).compose(id -> id == null ? Future.succeededFuture(null)
                : sandboxes.get(id).map(e -> e == null ? null : new JsonObject(e))));
    }

    // ---- names

    /** Reserves the name for the sandbox; the reply is the id already holding it, or null once it is this one's. */
    public Future<String> claimName(String name, String id) {
        return names.putIfAbsent(name, id).map(holder -> holder == null || holder.equals(id) ? null : holder);
    }

    public Future<Void> releaseName(String name, String id) {
        return names.removeIfPresent(name, id).mapEmpty();
    }

    // ---- members

    public Future<Void> putMember(Member m) {
        return members.put(m.node(), m.json().encode());
    }

    public Future<Void> removeMember(String node) {
        return members.remove(node).mapEmpty();
    }

    /** Every member that has announced itself, by node id (one that left may linger until the oldest removes it). */
    public Future<Map<String, Member>> members() {
        return members.values().map(values -> {
            Map<String, Member> all = new HashMap<>();
            values.forEach(v -> {
                Member m = Member.of(v);
                all.put(m.node(), m);
            });
            return all;
        });
    }
}
