package dev.paddock.daemon;

import dev.paddock.daemon.api.ApiOptions;
import dev.paddock.daemon.api.ApiVerticle;
import dev.paddock.daemon.bus.Codecs;
import dev.paddock.daemon.cluster.Cluster;
import dev.paddock.daemon.cluster.ClusterDirectory;
import dev.paddock.daemon.cluster.ClusterNames;
import dev.paddock.daemon.cluster.ClusterVerticle;
import dev.paddock.daemon.lifecycle.SandboxNames;
import dev.paddock.daemon.driver.SandboxDriver;
import dev.paddock.daemon.driver.loopback.AgentBinary;
import dev.paddock.daemon.driver.loopback.LoopbackDriver;
import dev.paddock.daemon.driver.microvm.MicroVmDriver;
import dev.paddock.daemon.driver.microvm.SandboxImage;
import dev.paddock.daemon.egress.EgressVerticle;
import dev.paddock.daemon.events.SandboxEventsVerticle;
import dev.paddock.daemon.lifecycle.LifecycleVerticle;
import dev.paddock.daemon.metrics.DaemonMetrics;
import dev.paddock.daemon.sandbox.SandboxStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One running daemon: its verticles deployed on a Vert.x instance, in dependency order (egress, events,
 * lifecycle, API), and its files in the state directory (socket, pid file, token).
 */
public final class Daemon {
    private static final System.Logger LOG = System.getLogger(Daemon.class.getName());
    public static final String VERSION = "0.1.0";

    private final Vertx vertx;
    private final DaemonConfig config;
    private final DaemonMetrics metrics;
    /** This daemon's cluster membership, or null for a plain daemon. */
    private final Cluster cluster;
    private final List<String> deployments = new ArrayList<>();
    private volatile SandboxDriver driver;
    private ApiVerticle api;
    private dev.paddock.daemon.api.BridgeVerticle bridge;
    private String token;

    private Daemon(Vertx vertx, DaemonConfig config, DaemonMetrics metrics, Cluster cluster) {
        this.vertx = vertx;
        this.config = config;
        this.metrics = metrics;
        this.cluster = cluster;
    }

    /**
     * A Vert.x whose own metrics go into the daemon's Prometheus registry, on Netty's native epoll transport: the
     * per-sandbox unix sockets (vsock.sock, docker.sock) must half-close, which the NIO domain-socket channel cannot
     * (vsock-proxy's HostSocket refuses to listen without it). Where epoll is unavailable Vert.x falls back to NIO
     * and the microvm driver's boot fails naming the cause.
     */
    public static Vertx newVertx(VertxOptions options, DaemonMetrics metrics) {
        // Built with vertx-hazelcast's service file hidden, so a plain daemon never loads a Hazelcast class.
        Thread t = Thread.currentThread();
        ClassLoader before = t.getContextClassLoader();
        t.setContextClassLoader(new PlainVertxServices(before != null ? before : Daemon.class.getClassLoader()));
        try {
            return newVertxBuilder(options, metrics).build();
        } finally {
            t.setContextClassLoader(before);
        }
    }

    /** The builder behind {@link #newVertx}, for a clustered Vert.x ({@code cluster.ClusterBoot}). */
    public static io.vertx.core.VertxBuilder newVertxBuilder(VertxOptions options, DaemonMetrics metrics) {
        return Vertx.builder()
                .with(options.setPreferNativeTransport(true)
                        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                .withMetrics(new MicrometerMetricsFactory(metrics.registry()));
    }

    /**
     * Prepares the state directory and deploys everything. Fails with a message when another daemon answers on the
     * socket, or when the loopback driver finds no agent binary.
     */
    public static Future<Daemon> start(Vertx vertx, DaemonConfig config, DaemonMetrics metrics) {
        if (config.cluster() != null) {
            return Future.failedFuture(new IllegalArgumentException("a clustered daemon starts on its clustered"
                    + " Vert.x: Daemon.start(cluster, config, metrics) after cluster.ClusterBoot.start"));
        }
        Daemon d = new Daemon(vertx, config, metrics, null);
        return vertx.executeBlocking(d::prepare, false).compose(driver -> d.deploy(driver)).map(d);
    }

    /** A cluster member (docs/cluster.md) on the clustered Vert.x of {@code cluster.ClusterBoot.start}. */
    public static Future<Daemon> start(Cluster cluster, DaemonConfig config, DaemonMetrics metrics) {
        if (config.cluster() == null) {
            return Future.failedFuture(new IllegalArgumentException("the configuration has no cluster options"));
        }
        Daemon d = new Daemon(cluster.vertx(), config, metrics, cluster);
        return cluster.vertx().executeBlocking(d::prepare, false).compose(driver -> d.deploy(driver)).map(d);
    }

    /** This daemon's cluster membership, or null for a plain daemon. */
    public Cluster cluster() {
        return cluster;
    }

    /** The sandbox driver this daemon boots sandboxes with (set once it has started). */
    public SandboxDriver driver() {
        return driver;
    }

    public DaemonConfig config() {
        return config;
    }

    /** The TCP port bound, or -1 without TCP. */
    public int tcpPort() {
        return api.tcpPort();
    }

    /** The event-bus bridge's port, or -1 without the bridge. */
    public int bridgePort() {
        return bridge != null ? bridge.port() : -1;
    }

    /** The bearer token in TCP mode, or null. */
    public String token() {
        return token;
    }

    private SandboxDriver prepare() throws IOException {
        Path state = config.stateDir();
        Files.createDirectories(state, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.createDirectories(config.sandboxesDir());
        Path socket = config.socket();
        int socketBytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (socketBytes > 107) {
            throw new IOException("the daemon socket path " + socket + " has " + socketBytes + " bytes; unix sockets"
                    + " allow at most 107 (sun_path): use a shorter PADDOCK_STATE");
        }
        if (Files.exists(socket)) {
            if (answers(socket)) {
                throw new IOException("another Paddock daemon is listening on " + socket + " (pid file "
                        + config.pidFile() + "); stop it first (paddock daemon stop) or use another --state");
            }
            // Left by a daemon killed with -9: nothing answers, so it is ours to replace.
            Files.delete(socket);
        }
        if (config.needsToken()) {
            if (cluster != null) {
                // Every member serves and forwards with the same token: the cluster's.
                token = clusterToken(cluster.options().tokenFile());
            } else {
                byte[] raw = new byte[32];
                new SecureRandom().nextBytes(raw);
                token = HexFormat.of().formatHex(raw);
            }
            Path tmp = config.tokenFile().resolveSibling("daemon.token.tmp");
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, token + "\n");
            Files.move(tmp, config.tokenFile(), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        // Codec registration loads Jackson: class loading that would hold an event loop for a while on a busy host.
        Codecs.registerAll(vertx.eventBus());
        DriverChoice.Decision choice = DriverChoice.decide(config.driver());
        LOG.log(choice.driver().equals(DriverChoice.LOOPBACK) && config.driver() == null
                ? System.Logger.Level.WARNING : System.Logger.Level.INFO, "sandbox driver {0}: {1}",
                choice.driver(), choice.reason());
        if (choice.driver().equals(DriverChoice.MICROVM)) {
            // Read now so a daemon without a built image says so at start, not at the first boot.
            SandboxImage.load(config.sandboxImage());
            return new MicroVmDriver(vertx, config.sandboxImage());
        }
        Path agent = config.agentBinary() != null ? config.agentBinary() : AgentBinary.locate();
        return new LoopbackDriver(vertx, agent);
    }

    private static String clusterToken(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file).strip();
        } catch (IOException e) {
            throw new IOException("cannot read the cluster token file " + file + " (--cluster-token-file): "
                    + e.getMessage() + "; every member needs the same file, e.g. from 'openssl rand -hex 32'", e);
        }
        if (text.length() < 32 || text.chars().anyMatch(c -> c <= ' ' || c > '~')) {
            throw new IOException("the cluster token in " + file + " has " + text.length() + " characters; it needs"
                    + " at least 32 printable ones without spaces, e.g. from 'openssl rand -hex 32'");
        }
        return text;
    }

    private static boolean answers(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }

    private Future<Void> deploy(SandboxDriver driver) {
        this.driver = driver;
        SandboxStore store = new SandboxStore(config.sandboxesDir());
        Duration slow = config.bootTimeout().plusSeconds(dev.paddock.daemon.sandbox.Limits.MAX_STOP_TIMEOUT_S + 30);
        JsonObject info = new JsonObject().put("version", VERSION).put("apiVersion", "1")
                .put("pid", ProcessHandle.current().pid()).put("stateDir", config.stateDir().toString())
                .put("driver", driver.name()).put("startedAt", Instant.now().toString())
                .put("tcp", config.tcpHost() != null ? config.tcpHost() + ":" + config.tcpPort() : null);
        if (cluster != null) {
            info.put("node", cluster.nodeId()).put("host", cluster.options().hostLabel());
            return ClusterDirectory.open(vertx).compose(directory -> deployAll(driver, store, slow, info, directory));
        }
        return deployAll(driver, store, slow, info, null);
    }

    private Future<Void> deployAll(SandboxDriver driver, SandboxStore store, Duration slow, JsonObject info,
                                   ClusterDirectory directory) {
        api = new ApiVerticle(new ApiOptions(config.socket(), config.tcpHost(), config.tcpPort(), token), store, metrics,
                info, slow, cluster, directory);
        SandboxNames names = directory != null ? new ClusterNames(directory) : SandboxNames.LOCAL;
        return deployOne(new EgressVerticle(config.stateDir(), store, metrics))
                .compose(v -> deployOne(new SandboxEventsVerticle(store)))
                .compose(v -> deployOne(new LifecycleVerticle(store, driver, metrics, config.bootTimeout(), names)))
                .compose(v -> deployOne(api))
                .compose(v -> directory == null ? Future.succeededFuture()
                        : deployOne(new ClusterVerticle(cluster, directory, store, advertisedApi())))
                .compose(v -> {
                    if (config.bridgeHost() == null) {
                        return Future.succeededFuture();
                    }
                    bridge = new dev.paddock.daemon.api.BridgeVerticle(config.bridgeHost(), config.bridgePort(), token,
                            store, slow, metrics);
                    return deployOne(bridge);
                })
                .compose(v -> vertx.executeBlocking(() -> {
                    Files.writeString(config.pidFile(), ProcessHandle.current().pid() + "\n");
                    if (config.tcpHost() != null) {
                        Files.writeString(config.tcpFile(), config.tcpHost() + ":" + api.tcpPort() + "\n");
                    }
                    if (bridge != null) {
                        Files.writeString(config.bridgeFile(), config.bridgeHost() + ":" + bridge.port() + "\n");
                    }
                    LOG.log(System.Logger.Level.INFO, "paddock daemon {0} listening on {1}{2}", VERSION, config.socket(),
                            config.tcpHost() != null ? " and tcp " + config.tcpHost() + ":" + api.tcpPort() : "");
                    return null;
                }, false));
    }

    /** Where the other members reach this one's API: the TCP address, or the cluster interface where TCP binds all. */
    private String advertisedApi() {
        String host = config.tcpHost();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            host = cluster.options().bindHost();
        }
        return host + ":" + api.tcpPort();
    }

    private Future<Void> deployOne(io.vertx.core.Deployable verticle) {
        return vertx.deployVerticle(verticle).map(id -> {
            deployments.add(id);
            return null;
        });
    }

    /** Undeploys in reverse order (the API first, so no request lands mid-shutdown) and removes the socket and pid file. */
    public Future<Void> stop() {
        Future<Void> chain = Future.succeededFuture();
        for (int i = deployments.size() - 1; i >= 0; i--) {
            String id = deployments.get(i);
            chain = chain.compose(v -> vertx.undeploy(id));
        }
        return chain.eventually(() -> vertx.executeBlocking(() -> {
            Files.deleteIfExists(config.socket());
            Files.deleteIfExists(config.pidFile());
            Files.deleteIfExists(config.tcpFile());
            Files.deleteIfExists(config.bridgeFile());
            Files.deleteIfExists(config.tokenFile());
            return null;
        }, false)).mapEmpty();
    }
}
