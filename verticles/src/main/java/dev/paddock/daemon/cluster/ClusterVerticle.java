package dev.paddock.daemon.cluster;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.api.SandboxJson;
import dev.paddock.daemon.bus.Replies;
import dev.paddock.daemon.messages.LifecycleRequests;
import dev.paddock.daemon.messages.SandboxEvent;
import dev.paddock.daemon.sandbox.SandboxRecord;
import dev.paddock.daemon.sandbox.SandboxState;
import dev.paddock.daemon.sandbox.SandboxStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.NodeListener;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * This member's part in the cluster's view ({@link ClusterDirectory}): it announces the member and its API,
 * writes the entry of each of its sandboxes at every state change (and all of them at start, after a restart),
 * and, when another member leaves, turns that member's entries to {@value ClusterDirectory#LOST}. Only the member
 * with the smallest node id writes the lost entries, so a leave is written once.
 */
public final class ClusterVerticle extends VerticleBase {
    private static final System.Logger LOG = System.getLogger(ClusterVerticle.class.getName());
    private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true).setSendTimeout(30_000);

    private final Cluster cluster;
    private final ClusterDirectory directory;
    private final SandboxStore store;
    private final String api;
    /** The last write per sandbox: writes of one sandbox go out in the order its states changed. */
    private final Map<String, Future<Void>> writes = new HashMap<>();

    /** @param api this member's TCP API as HOST:PORT, where the others forward requests for its sandboxes */
    public ClusterVerticle(Cluster cluster, ClusterDirectory directory, SandboxStore store, String api) {
        this.cluster = cluster;
        this.directory = directory;
        this.store = store;
        this.api = api;
    }

    private String node() {
        return cluster.nodeId();
    }

    private String host() {
        return cluster.options().hostLabel();
    }

    @Override
    public Future<?> start() {
        vertx.eventBus().<SandboxEvent>localConsumer(Addresses.EVENTS, m -> {
            if (m.body() instanceof SandboxEvent.StateChanged s) {
                write(s.sandbox(), s.to());
            }
        });
        cluster.manager().nodeListener(new NodeListener() {
            @Override
            public void nodeAdded(String nodeId) {
                LOG.log(System.Logger.Level.INFO, "cluster member {0} joined", nodeId);
            }

            @Override
            public void nodeLeft(String nodeId) {
                context.runOnContext(v -> left(nodeId));
            }
        });
        return directory.putMember(new ClusterDirectory.Member(node(), host(), api))
                .compose(v -> vertx.eventBus().<LifecycleRequests.SandboxList>request(Addresses.SANDBOX_LIST,
                        new LifecycleRequests.ListAll(), LOCAL))
                .compose(list -> {
                    List<Future<Void>> all = new ArrayList<>();
                    for (SandboxRecord r : list.body().sandboxes()) {
                        all.add(directory.claimName(r.name(), r.id()).compose(holder -> {
                            if (holder != null) {
                                LOG.log(System.Logger.Level.WARNING, "sandbox {0} of this member is named \"{1}\","
                                        + " which sandbox {2} holds in the cluster; rename or remove one of them",
                                        r.id(), r.name(), holder);
                            }
                            return directory.putSandbox(entry(r));
                        }));
                    }
                    return Future.all(all);
                })
                .compose(v -> sweep())
                .onSuccess(v -> LOG.log(System.Logger.Level.INFO, "cluster member {0} ({1}, api {2}) joined with"
                        + " {3} members", node(), host(), api, cluster.manager().getNodes().size()));
    }

    /** The entry of a sandbox: its API form plus where it runs. */
    private JsonObject entry(SandboxRecord r) {
        return SandboxJson.of(r, store.directory(r.id())).put("node", node()).put("host", host());
    }

    private void write(String id, String to) {
        Future<Void> previous = writes.getOrDefault(id, Future.succeededFuture());
        Future<Void> next = previous.transform(ignored -> vertx.eventBus()
                .<SandboxRecord>request(Addresses.SANDBOX_GET, new LifecycleRequests.Ref(id), LOCAL)
                .transform(ar -> {
                    if (ar.succeeded()) {
                        return directory.putSandbox(entry(ar.result().body()));
                    }
                    DaemonException e = Replies.toDaemonException(ar.cause(), Addresses.SANDBOX_GET);
                    if (e.code() == ErrorCode.NOT_FOUND && SandboxState.REMOVED.json().equals(to)) {
                        return directory.removeSandbox(id);
                    }
                    return Future.<Void>failedFuture(e);
                }))
                .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "cannot write sandbox " + id + " (now " + to
                        + ") to the cluster's view: " + e.getMessage()));
        writes.put(id, next);
        next.onComplete(ar -> writes.remove(id, next));
    }

    /** A member left: its sandboxes are lost to the cluster until it comes back (written by one member only). */
    private void left(String gone) {
        LOG.log(System.Logger.Level.WARNING, "cluster member {0} left", gone);
        if (actor()) {
            markLost(List.of(gone)).compose(v -> directory.removeMember(gone))
                    .onFailure(e -> LOG.log(System.Logger.Level.ERROR, "cannot mark the sandboxes of member " + gone
                            + " lost: " + e.getMessage(), e));
        }
    }

    /** At start: entries of members that are gone (the whole cluster restarted, say) are lost too. */
    private Future<Void> sweep() {
        if (!actor()) {
            return Future.succeededFuture();
        }
        List<String> present = cluster.manager().getNodes();
        return directory.sandboxes().compose(all -> markLost(all.stream().map(e -> e.getString("node"))
                .filter(n -> n != null && !present.contains(n)).distinct().toList()));
    }

    private boolean actor() {
        return cluster.manager().getNodes().stream().min(Comparator.naturalOrder()).map(node()::equals).orElse(true);
    }

    private Future<Void> markLost(List<String> goneNodes) {
        if (goneNodes.isEmpty()) {
            return Future.succeededFuture();
        }
        String now = Instant.now().toString();
        return directory.sandboxes().compose(all -> {
            List<Future<Void>> writes = new ArrayList<>();
            for (JsonObject e : all) {
                if (goneNodes.contains(e.getString("node")) && !ClusterDirectory.LOST.equals(e.getString("state"))) {
                    String reason = "host " + e.getString("host") + " (node " + e.getString("node") + ") left the"
                            + " cluster at " + now + " while the sandbox was " + e.getString("state")
                            + "; it shows again when that host rejoins";
                    writes.add(directory.putSandbox(e.copy().put("state", ClusterDirectory.LOST)
                            .put("stateReason", reason).put("updatedAt", now)));
                }
            }
            return Future.all(writes).mapEmpty();
        });
    }
}
