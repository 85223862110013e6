package dev.paddock.daemon.egress;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.bus.Replies;
import dev.paddock.daemon.messages.EgressMessages.PolicyQuery;
import dev.paddock.daemon.messages.EgressMessages.PolicyRemove;
import dev.paddock.daemon.messages.EgressMessages.PolicyUpdate;
import dev.paddock.daemon.messages.EgressMessages.PolicyView;
import dev.paddock.daemon.messages.EgressMessages.SecretCheck;
import dev.paddock.daemon.messages.EgressMessages.SecretList;
import dev.paddock.daemon.messages.EgressMessages.SecretRef;
import dev.paddock.daemon.messages.SandboxEvent;
import dev.paddock.daemon.metrics.DaemonMetrics;
import dev.paddock.daemon.sandbox.SandboxStore;
import dev.paddock.daemon.messages.EgressMessages.EgressAttach;
import dev.paddock.daemon.messages.EgressMessages.EgressDetach;
import dev.paddock.netpolicy.audit.AuditEvent;
import dev.paddock.netpolicy.audit.AuditSinks;
import dev.paddock.netpolicy.audit.EventBusAuditSink;
import dev.paddock.netpolicy.audit.JsonLinesAuditSink;
import dev.paddock.netpolicy.policy.PolicyException;
import dev.paddock.netpolicy.policy.PolicyLayer;
import dev.paddock.netpolicy.policy.PolicyParser;
import dev.paddock.netpolicy.policy.PolicyRegistry;
import dev.paddock.netpolicy.policy.Scope;
import dev.paddock.netpolicy.secret.Secret;
import dev.paddock.netpolicy.secret.SecretStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Egress: the live policy of every sandbox (netpolicy's {@link PolicyRegistry}: a global layer plus one layer per
 * sandbox), the host's secrets (netpolicy's {@link SecretStore}), and the audit events the filters publish.
 *
 * <p>Policy documents are kept as the user wrote them, so GET returns what PUT was given: the global one in
 * {@code $PADDOCK_STATE/policy.json}, each sandbox's in {@code sandboxes/<id>/policy.json}. A document is parsed
 * (all or nothing) before anything is written or changed. File I/O runs as blocking work.
 */
public final class EgressVerticle extends VerticleBase {
    /** The global layer when none was ever set: netpolicy's balanced preset. */
    public static final String DEFAULT_GLOBAL = "{\"preset\": \"balanced\"}";
    public static final String POLICY_FILE = "policy.json";
    /** Every egress decision, one JSON object a line. */
    public static final String AUDIT_LOG = "egress-audit.jsonl";
    private static final System.Logger LOG = System.getLogger(EgressVerticle.class.getName());

    private final Path stateDir;
    private final SandboxStore sandboxes;
    private final DaemonMetrics metrics;
    private final Map<String, String> sandboxDocs = new HashMap<>();
    /** Each sandbox's last {@value #RECENT} decisions, for the web page; dropped when its policy layer is. */
    private final Map<String, java.util.ArrayDeque<AuditEvent>> recent = new HashMap<>();
    public static final int RECENT = 100;
    private volatile PolicyRegistry registry;
    private String globalDoc;
    private long globalVersion;
    private SecretStore secrets;
    private EgressFilters filters;
    private JsonLinesAuditSink auditLog;

    public EgressVerticle(Path stateDir, SandboxStore sandboxes, DaemonMetrics metrics) {
        this.stateDir = stateDir;
        this.sandboxes = sandboxes;
        this.metrics = metrics;
    }

    /** The running sandboxes' egress filters; set once started. */
    public EgressFilters filters() {
        return filters;
    }

    /** The registry the egress filters decide with (read without locks from any thread); set once started. */
    public PolicyRegistry registry() {
        return registry;
    }

    @Override
    public Future<?> start() {
        return vertx.executeBlocking(this::load).compose(v -> {
            filters = new EgressFilters(vertx, registry, secrets::snapshot,
                    AuditSinks.all(auditLog, new EventBusAuditSink(vertx.eventBus())),
                    EgressFilterOptions.fromEnvironmentAndProperties());
            return filters.start();
        }).onSuccess(v -> {
            EventBus bus = vertx.eventBus();
            bus.<EgressAttach>localConsumer(Addresses.EGRESS_ATTACH, m -> Replies.answer(m, attach(m.body())));
            bus.<EgressDetach>localConsumer(Addresses.EGRESS_DETACH, m -> filters.detach(m.body().sandboxId())
                    .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "sandbox {0}: ending its egress filters: {1}",
                            m.body().sandboxId(), e.toString())));
            bus.<PolicyQuery>localConsumer(Addresses.POLICY_GET, m -> Replies.answer(m, get(m.body())));
            bus.<dev.paddock.daemon.messages.EgressMessages.RecentQuery>localConsumer(Addresses.EGRESS_RECENT, m -> {
                java.util.List<AuditEvent> all = new java.util.ArrayList<>(recent.getOrDefault(m.body().sandboxId(),
                        new java.util.ArrayDeque<>()));
                int from = Math.max(0, all.size() - Math.max(0, m.body().limit()));
                m.reply(new dev.paddock.daemon.messages.EgressMessages.RecentDecisions(all.subList(from, all.size())));
            });
            bus.<PolicyUpdate>localConsumer(Addresses.POLICY_SET, m -> Replies.answer(m, set(m.body())));
            bus.<PolicyRemove>localConsumer(Addresses.POLICY_REMOVE, m -> {
                registry.removeSandbox(m.body().sandboxId());
                recent.remove(m.body().sandboxId());
                sandboxDocs.remove(m.body().sandboxId());
            });
            bus.<Secret>localConsumer(Addresses.SECRET_SET, m -> Replies.answer(m, vertx.executeBlocking(() -> {
                secrets.put(m.body());
                return m.body().info();
            })));
            bus.<dev.paddock.daemon.messages.EgressMessages.ListSecrets>localConsumer(Addresses.SECRET_LIST, m -> m.reply(new SecretList(secrets.list())));
            bus.<SecretRef>localConsumer(Addresses.SECRET_DELETE, m -> Replies.answer(m, vertx.executeBlocking(() -> {
                if (!secrets.remove(m.body().name())) {
                    throw DaemonException.notFound("secret", m.body().name());
                }
                return m.body();
            })));
            bus.<SecretCheck>localConsumer(Addresses.SECRET_CHECK, m -> m.reply(new SecretCheck(missing(m.body().names()))));
            bus.<io.vertx.core.json.JsonObject>localConsumer(Addresses.EGRESS_AUDIT, m -> {
                AuditEvent a = m.body().mapTo(AuditEvent.class);
                metrics.egress(a.decision(), a.channel());
                java.util.ArrayDeque<AuditEvent> ring = recent.computeIfAbsent(a.sandbox(), k -> new java.util.ArrayDeque<>());
                if (ring.size() == RECENT) {
                    ring.removeFirst();
                }
                ring.addLast(a);
                SandboxEvent e = new SandboxEvent.EgressDecided(a.time(), a.sandbox(), a);
                bus.publish(Addresses.EVENTS, e);
                bus.publish(Addresses.sandboxEvents(a.sandbox()), e);
            });
        });
    }

    @Override
    public Future<?> stop() {
        Future<Void> f = filters == null ? Future.succeededFuture() : filters.stop();
        return f.compose(v -> vertx.executeBlocking(() -> {
            if (auditLog != null) {
                auditLog.close();
            }
            return null;
        }));
    }

    /** A booted VM's filters, then its CA in the guest's trust store; on failure nothing stays attached. */
    private Future<String> attach(EgressAttach a) {
        return filters.attach(a.sandboxId(), a.directory(), a.secrets(), GuestEgressBridge.GuestPorts.of(a.muxer()))
                .compose(att -> GuestTrust.install(a.agent(), att.ca().certificatePem())
                        .recover(e -> filters.detach(a.sandboxId()).transform(x -> Future.failedFuture(e))))
                .map(x -> a.sandboxId());
    }

    private Void load() throws IOException {
        Path globalFile = stateDir.resolve(POLICY_FILE);
        globalDoc = Files.exists(globalFile) ? Files.readString(globalFile) : DEFAULT_GLOBAL;
        try {
            registry = new PolicyRegistry(PolicyParser.parse(Scope.GLOBAL, globalDoc));
        } catch (PolicyException e) {
            throw new IOException("the global egress policy " + globalFile + " is invalid: " + e.getMessage()
                    + "; fix it or remove it (the default is " + DEFAULT_GLOBAL + ")", e);
        }
        if (Files.isDirectory(sandboxes.root())) {
            try (var dirs = Files.newDirectoryStream(sandboxes.root())) {
                for (Path dir : dirs) {
                    Path file = dir.resolve(POLICY_FILE);
                    if (!Files.exists(file)) {
                        continue;
                    }
                    String doc = Files.readString(file);
                    String id = dir.getFileName().toString();
                    try {
                        registry.putSandbox(id, doc);
                    } catch (PolicyException e) {
                        throw new IOException("the egress policy of sandbox " + id + " (" + file + ") is invalid: "
                                + e.getMessage() + "; fix it or remove the file", e);
                    }
                    sandboxDocs.put(id, doc);
                }
            }
        }
        secrets = SecretStore.open(stateDir);
        auditLog = new JsonLinesAuditSink(stateDir.resolve(AUDIT_LOG), 10_000);
        return null;
    }

    private Future<PolicyView> get(PolicyQuery q) {
        if (q.sandboxId() == null) {
            return Future.succeededFuture(new PolicyView("global", globalVersion, globalDoc));
        }
        String doc = sandboxDocs.get(q.sandboxId());
        var set = registry.current(q.sandboxId());
        if (doc == null || set.isEmpty()) {
            return Future.failedFuture(DaemonException.notFound("sandbox", q.sandboxId()));
        }
        return Future.succeededFuture(new PolicyView("sandbox", set.get().version(), doc));
    }

    private Future<PolicyView> set(PolicyUpdate u) {
        boolean global = u.sandboxId() == null;
        PolicyLayer layer;
        try {
            layer = PolicyParser.parse(global ? Scope.GLOBAL : Scope.SANDBOX, u.documentJson());
        } catch (PolicyException e) {
            return Future.failedFuture(new DaemonException(ErrorCode.POLICY_INVALID, e.getMessage(), "policy",
                    e.problems()));
        }
        Path file = global ? stateDir.resolve(POLICY_FILE) : sandboxes.directory(u.sandboxId()).resolve(POLICY_FILE);
        return vertx.<Void>executeBlocking(() -> {
            writeAtomically(file, u.documentJson());
            return null;
        }).map(v -> {
            if (global) {
                globalVersion = registry.putGlobal(layer);
                globalDoc = u.documentJson();
                return new PolicyView("global", globalVersion, globalDoc);
            }
            long version = registry.putSandbox(u.sandboxId(), layer).version();
            sandboxDocs.put(u.sandboxId(), u.documentJson());
            return new PolicyView("sandbox", version, u.documentJson());
        });
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private List<String> missing(List<String> names) {
        return names.stream().filter(n -> secrets.list().stream().noneMatch(i -> i.name().equals(n))).toList();
    }
}
