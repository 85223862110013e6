package dev.paddock.daemon;

import dev.paddock.daemon.api.ApiOptions;
import dev.paddock.daemon.api.ApiVerticle;
import dev.paddock.daemon.bus.Codecs;
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
    private final List<String> deployments = new ArrayList<>();
    private ApiVerticle api;
    private dev.paddock.daemon.api.BridgeVerticle bridge;
    private String token;

    private Daemon(Vertx vertx, DaemonConfig config, DaemonMetrics metrics) {
        this.vertx = vertx;
        this.config = config;
        this.metrics = metrics;
    }

    /**
     * A Vert.x whose own metrics go into the daemon's Prometheus registry, on Netty's native epoll transport: the
     * per-sandbox unix sockets (vsock.sock, docker.sock) must half-close, which the NIO domain-socket channel cannot
     * (vsock-proxy's HostSocket refuses to listen without it). Where epoll is unavailable Vert.x falls back to NIO
     * and the microvm driver's boot fails naming the cause.
     */
    public static Vertx newVertx(VertxOptions options, DaemonMetrics metrics) {
        return Vertx.builder()
                .with(options.setPreferNativeTransport(true)
                        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
                .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
                .build();
    }

    /**
     * Prepares the state directory and deploys everything. Fails with a message when another daemon answers on the
     * socket, or when the loopback driver finds no agent binary.
     */
    public static Future<Daemon> start(Vertx vertx, DaemonConfig config, DaemonMetrics metrics) {
        Daemon d = new Daemon(vertx, config, metrics);
        return vertx.executeBlocking(d::prepare, false).compose(driver -> d.deploy(driver)).map(d);
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
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            token = HexFormat.of().formatHex(raw);
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

    private static boolean answers(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }

    private Future<Void> deploy(SandboxDriver driver) {
        SandboxStore store = new SandboxStore(config.sandboxesDir());
        Duration slow = config.bootTimeout().plusSeconds(dev.paddock.daemon.sandbox.Limits.MAX_STOP_TIMEOUT_S + 30);
        JsonObject info = new JsonObject().put("version", VERSION).put("apiVersion", "1")
                .put("pid", ProcessHandle.current().pid()).put("stateDir", config.stateDir().toString())
                .put("driver", driver.name()).put("startedAt", Instant.now().toString())
                .put("tcp", config.tcpHost() != null ? config.tcpHost() + ":" + config.tcpPort() : null);
        api = new ApiVerticle(new ApiOptions(config.socket(), config.tcpHost(), config.tcpPort(), token), store, metrics,
                info, slow);
        return deployOne(new EgressVerticle(config.stateDir(), store, metrics))
                .compose(v -> deployOne(new SandboxEventsVerticle(store)))
                .compose(v -> deployOne(new LifecycleVerticle(store, driver, metrics, config.bootTimeout())))
                .compose(v -> deployOne(api))
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
