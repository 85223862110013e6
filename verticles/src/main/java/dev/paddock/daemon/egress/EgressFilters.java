package dev.paddock.daemon.egress;

import dev.paddock.netpolicy.audit.AuditSink;
import dev.paddock.netpolicy.ca.LeafCache;
import dev.paddock.netpolicy.ca.Pem;
import dev.paddock.netpolicy.ca.SandboxCa;
import dev.paddock.netpolicy.decision.EgressDecider;
import dev.paddock.netpolicy.decision.HostInterfaces;
import dev.paddock.netpolicy.decision.HostProtection;
import dev.paddock.netpolicy.dns.DnsFilterOptions;
import dev.paddock.netpolicy.dns.DnsFilterVerticle;
import dev.paddock.netpolicy.dns.NettyUpstreamResolver;
import dev.paddock.netpolicy.dns.ResolvedNames;
import dev.paddock.netpolicy.dns.UpstreamResolver;
import dev.paddock.netpolicy.policy.PolicyRegistry;
import dev.paddock.netpolicy.proxy.EgressProxyOptions;
import dev.paddock.netpolicy.proxy.EgressProxyVerticle;
import dev.paddock.netpolicy.proxy.SandboxInterception;
import dev.paddock.netpolicy.secret.Secret;
import dev.paddock.netpolicy.secret.Secrets;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The egress filters of every running sandbox: one egress proxy for all (netpolicy's {@link EgressProxyVerticle},
 * loopback hand-off listener only), and per sandbox its CA (netpolicy's {@link SandboxCa}, in the sandbox's
 * directory), its TLS interception material (CA leaves and the secrets it names), its DNS filter
 * ({@link DnsFilterVerticle}, remembering answers in the shared per-sandbox {@link ResolvedNames}) and its vsock
 * bridge ({@link GuestEgressBridge}).
 */
public final class EgressFilters {
    private static final Duration HOST_PROTECTION_REFRESH = Duration.ofSeconds(30);
    private static final Duration UPSTREAM_TIMEOUT = Duration.ofSeconds(5);

    /** What one attached sandbox holds. */
    public record Attached(String sandboxId, SandboxCa ca, String dnsDeployment, DnsFilterVerticle dns,
                           GuestEgressBridge bridge) {
    }

    private final Vertx vertx;
    private final PolicyRegistry registry;
    private final Supplier<Secrets> secrets;
    private final AuditSink audit;
    private final EgressFilterOptions options;
    private final ResolvedNames resolved = ResolvedNames.withDefaults(InstantSource.system());
    private final SandboxInterception interception = new SandboxInterception();
    private final Map<String, Attached> attached = new ConcurrentHashMap<>();
    private volatile HostProtection protection = HostProtection.NONE;
    private EgressDecider decider;
    private EgressProxyVerticle proxy;
    private final UpstreamResolver.Factory upstream;
    private long refreshTimer = -1;

    public EgressFilters(Vertx vertx, PolicyRegistry registry, Supplier<Secrets> secrets, AuditSink audit,
                         EgressFilterOptions options) {
        this(vertx, registry, secrets, audit, options, options.dnsServer()
                .map(s -> NettyUpstreamResolver.server(s, UPSTREAM_TIMEOUT))
                .orElse(NettyUpstreamResolver.hostResolvers(UPSTREAM_TIMEOUT)));
    }

    /** With a given upstream resolver (tests). */
    EgressFilters(Vertx vertx, PolicyRegistry registry, Supplier<Secrets> secrets, AuditSink audit,
                  EgressFilterOptions options, UpstreamResolver.Factory upstream) {
        this.upstream = upstream;
        this.vertx = vertx;
        this.registry = registry;
        this.secrets = secrets;
        this.audit = audit;
        this.options = options;
    }

    /** Reads the host's addresses (host protection), the extra upstream CAs, and deploys the proxy. */
    public Future<Void> start() {
        decider = new EgressDecider(registry, () -> protection);
        return vertx.executeBlocking(() -> {
            protection = new HostProtection(HostInterfaces.addresses(), Set.of());
            List<X509Certificate> extra = new ArrayList<>();
            if (options.extraCa().isPresent()) {
                extra.add(Pem.readCertificate(Files.readString(options.extraCa().get(), StandardCharsets.US_ASCII)));
            }
            return extra;
        }).compose(extra -> {
            EgressProxyOptions po = new EgressProxyOptions(InetAddress.getLoopbackAddress(), 0, -1, Optional.empty(),
                    options.classifyTimeout(), Duration.ofSeconds(10), extra, options.dialRoute());
            proxy = new EgressProxyVerticle(po, decider, resolved, audit, interception, upstream,
                    InstantSource.system());
            return vertx.deployVerticle(proxy);
        }).onSuccess(id -> refreshTimer = vertx.setPeriodic(HOST_PROTECTION_REFRESH.toMillis(), t ->
                vertx.executeBlocking(() -> new HostProtection(HostInterfaces.addresses(), Set.of()), false)
                        .onSuccess(p -> protection = p))).mapEmpty();
    }

    public Future<Void> stop() {
        if (refreshTimer >= 0) {
            vertx.cancelTimer(refreshTimer);
        }
        return Future.succeededFuture();
    }

    /** The proxy's loopback hand-off port. */
    public int handoffPort() {
        return proxy.handoffPort();
    }

    /**
     * Starts a sandbox's filters: its CA (created in {@code directory} at the first boot, reused after), TLS
     * interception with the secrets the sandbox names, its DNS filter, and the vsock bridge on {@code ports}.
     */
    public Future<Attached> attach(String sandboxId, Path directory, List<String> secretNames, GuestEgressBridge.GuestPorts ports) {
        if (attached.containsKey(sandboxId)) {
            return Future.failedFuture(new IllegalStateException("the egress filters of sandbox " + sandboxId
                    + " are already attached; detach them first"));
        }
        return vertx.executeBlocking(() -> SandboxCa.loadOrCreate(directory, sandboxId)).compose(ca -> {
            Set<String> names = Set.copyOf(secretNames);
            interception.register(sandboxId, new LeafCache(ca), () -> named(secrets.get(), names));
            DnsFilterVerticle dns = new DnsFilterVerticle(sandboxId, DnsFilterOptions.loopback(0), decider, resolved,
                    audit, upstream, InstantSource.system());
            return vertx.deployVerticle(dns).map(deployment -> {
                GuestEgressBridge bridge = new GuestEgressBridge(vertx, sandboxId,
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.handoffPort()),
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), dns.tcpPort()));
                bridge.register(ports);
                Attached a = new Attached(sandboxId, ca, deployment, dns, bridge);
                attached.put(sandboxId, a);
                return a;
            }).onFailure(e -> interception.remove(sandboxId));
        });
    }

    /** Ends a sandbox's filters (its VM is gone). Succeeds when none were attached. */
    public Future<Void> detach(String sandboxId) {
        Attached a = attached.remove(sandboxId);
        interception.remove(sandboxId);
        resolved.forgetSandbox(sandboxId);
        if (a == null) {
            return Future.succeededFuture();
        }
        return Future.join(a.bridge().close(), vertx.undeploy(a.dnsDeployment())).mapEmpty();
    }

    public Optional<Attached> attached(String sandboxId) {
        return Optional.ofNullable(attached.get(sandboxId));
    }

    /** Only the secrets a sandbox names are injected into its requests. */
    static Secrets named(Secrets all, Set<String> names) {
        List<Secret> chosen = new ArrayList<>();
        for (Secret s : all.all()) {
            if (names.contains(s.name())) {
                chosen.add(s);
            }
        }
        return Secrets.of(chosen);
    }
}
