package dev.paddock.daemon;

import dev.paddock.daemon.cluster.Cluster;
import dev.paddock.daemon.cluster.ClusterOptions;
import dev.paddock.daemon.metrics.DaemonMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -cp <jar> dev.paddock.daemon.DaemonMain [--state DIR] [--tcp HOST:PORT] [--agent PATH]
 * [--boot-timeout SECONDS] [--driver microvm|loopback] [--image DIR]}: runs the daemon in the foreground until SIGTERM or SIGINT, then stops every sandbox,
 * and removes its socket and pid file. Exit status 2 for bad arguments, 1 when it cannot start.
 */
public final class DaemonMain {
    private DaemonMain() { }

    public static void main(String[] args) throws Exception {
        DaemonConfig config;
        try {
            config = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("paddock daemon: " + e.getMessage());
            System.err.println("usage: DaemonMain [--state DIR] [--tcp HOST:PORT] [--bridge [HOST:]PORT] [--agent PATH]"
                    + " [--boot-timeout SECONDS] [--driver microvm|loopback] [--image DIR]"
                    + " [--cluster IP:PORT --cluster-members H:P,H:P --cluster-token-file FILE [--cluster-name NAME]"
                    + " [--cluster-host-label LABEL] [--cluster-failure-timeout SECONDS]]");
            System.exit(2);
            return;
        }
        DaemonMetrics metrics = new DaemonMetrics();
        Vertx vertx = null;
        Daemon daemon;
        try {
            if (config.cluster() == null) {
                vertx = Daemon.newVertx(new VertxOptions(), metrics);
                daemon = Daemon.start(vertx, config, metrics).await(config.bootTimeout().toSeconds() + 60,
                        TimeUnit.SECONDS);
            } else {
                // Only here does Hazelcast load: a plain daemon never reaches this branch.
                Cluster cluster = dev.paddock.daemon.cluster.ClusterBoot.start(new VertxOptions(), metrics,
                        config.cluster()).await(120, TimeUnit.SECONDS);
                vertx = cluster.vertx();
                daemon = Daemon.start(cluster, config, metrics).await(config.bootTimeout().toSeconds() + 60,
                        TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            System.err.println("paddock daemon: cannot start: " + e.getMessage());
            if (vertx != null) {
                vertx.close();
            }
            System.exit(1);
            return;
        }
        Vertx running = vertx;
        System.out.println("paddock daemon " + Daemon.VERSION + " pid " + ProcessHandle.current().pid()
                + " listening on " + config.socket()
                + (config.tcpHost() != null ? " and tcp " + config.tcpHost() + ":" + daemon.tcpPort() : ""));
        if (daemon.cluster() != null) {
            System.out.println("cluster \"" + config.cluster().name() + "\": node " + daemon.cluster().nodeId()
                    + " (host " + config.cluster().hostLabel() + ") on " + config.cluster().bindHost() + ":"
                    + config.cluster().port() + ", " + daemon.cluster().manager().getNodes().size() + " members");
        }
        if (config.bridgeHost() != null) {
            System.out.println("event-bus bridge: " + config.bridgeHost() + ":" + daemon.bridgePort()
                    + " (docs/event-bus.md; frames need headers.token from " + config.tokenFile() + ")");
        }
        if (config.tcpHost() != null) {
            // The web page's login (docs/web.md): the token is already in the owner-only daemon.token; this line
            // goes to the daemon's own stdout, like the token file only its owner reads.
            System.out.println("web page: http://" + config.tcpHost() + ":" + daemon.tcpPort() + "/ui/login?token="
                    + daemon.token());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                daemon.stop().eventually(running::close).await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("paddock daemon: unclean stop: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "paddock-daemon-stop"));
        stopped.await();
    }

    static DaemonConfig parse(String[] args) {
        Path state = null;
        String tcpHost = null;
        int tcpPort = 0;
        String bridgeHost = null;
        int bridgePort = 0;
        Path agent = null;
        java.time.Duration boot = DaemonConfig.DEFAULT_BOOT_TIMEOUT;
        String driver = null;
        Path image = null;
        String clusterHost = null;
        int clusterPort = 0;
        java.util.List<String> members = java.util.List.of();
        String clusterName = ClusterOptions.DEFAULT_NAME;
        String hostLabel = null;
        Path clusterToken = null;
        int failureTimeout = ClusterOptions.DEFAULT_FAILURE_TIMEOUT_S;
        boolean clusterFlags = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--state" -> state = Path.of(require(a, value));
                case "--tcp" -> {
                    String hp = require(a, value);
                    tcpHost = host(a, hp, "127.0.0.1:7070");
                    tcpPort = port(a, hp);
                }
                case "--bridge" -> {
                    // PORT alone means loopback: the bridge is for services on this host unless asked otherwise.
                    String hp = require(a, value);
                    bridgeHost = hp.indexOf(':') < 0 ? "127.0.0.1" : host(a, hp, "127.0.0.1:7071");
                    bridgePort = port(a, hp.indexOf(':') < 0 ? ":" + hp : hp);
                    if (bridgePort == 0) {
                        throw new IllegalArgumentException("--bridge " + hp + ": give a fixed port (the bridge cannot"
                                + " report one it picked), e.g. --bridge 7071");
                    }
                }
                case "--agent" -> agent = Path.of(require(a, value));
                case "--driver" -> {
                    driver = require(a, value);
                    if (!DriverChoice.NAMES.contains(driver)) {
                        throw new IllegalArgumentException("--driver " + driver + ": expected one of "
                                + String.join(", ", DriverChoice.NAMES) + " (leave it out to let the accelerator"
                                + " probe choose)");
                    }
                }
                case "--image" -> image = Path.of(require(a, value));
                case "--cluster" -> {
                    String hp = require(a, value);
                    clusterHost = host(a, hp, "10.0.0.5:5701");
                    clusterPort = port(a, hp);
                }
                case "--cluster-members" -> {
                    members = ClusterOptions.parseMembers(require(a, value));
                    clusterFlags = true;
                }
                case "--cluster-name" -> {
                    clusterName = require(a, value);
                    clusterFlags = true;
                }
                case "--cluster-host-label" -> {
                    hostLabel = require(a, value);
                    clusterFlags = true;
                }
                case "--cluster-token-file" -> {
                    clusterToken = Path.of(require(a, value));
                    clusterFlags = true;
                }
                case "--cluster-failure-timeout" -> {
                    try {
                        failureTimeout = Integer.parseInt(require(a, value));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--cluster-failure-timeout " + value
                                + ": not a number of seconds");
                    }
                    clusterFlags = true;
                }
                case "--boot-timeout" -> {
                    try {
                        boot = java.time.Duration.ofSeconds(Long.parseLong(require(a, value)));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--boot-timeout " + value + ": not a number of seconds");
                    }
                }
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
            i++;
        }
        ClusterOptions cluster = null;
        if (clusterHost != null) {
            if (clusterToken == null) {
                throw new IllegalArgumentException("--cluster needs --cluster-token-file FILE: the token every member"
                        + " shares (docs/cluster.md)");
            }
            cluster = new ClusterOptions(clusterHost, clusterPort, members, clusterName,
                    hostLabel != null ? hostLabel : ClusterOptions.defaultHostLabel(clusterHost), clusterToken,
                    failureTimeout);
        } else if (clusterFlags) {
            throw new IllegalArgumentException("the --cluster-* flags need --cluster IP:PORT (docs/cluster.md)");
        }
        return new DaemonConfig(state != null ? state : DaemonConfig.defaultStateDir(), tcpHost, tcpPort, agent, boot,
                bridgeHost, bridgePort, driver, image, cluster);
    }

    private static String host(String flag, String hp, String example) {
        int colon = hp.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(flag + " " + hp + ": expected HOST:PORT, e.g. " + example);
        }
        return hp.substring(0, colon);
    }

    private static int port(String flag, String hp) {
        int port;
        try {
            port = Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " " + hp + ": the port is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(flag + " " + hp + ": the port must be 0..65535 (0 = any)");
        }
        return port;
    }

    private static String require(String flag, String value) {
        if (value == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }
}
