package dev.paddock.daemon;

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
                    + " [--boot-timeout SECONDS] [--driver microvm|loopback] [--image DIR]");
            System.exit(2);
            return;
        }
        DaemonMetrics metrics = new DaemonMetrics();
        Vertx vertx = Daemon.newVertx(new VertxOptions(), metrics);
        Daemon daemon;
        try {
            daemon = Daemon.start(vertx, config, metrics).await(config.bootTimeout().toSeconds() + 60, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("paddock daemon: cannot start: " + e.getMessage());
            vertx.close();
            System.exit(1);
            return;
        }
        System.out.println("paddock daemon " + Daemon.VERSION + " pid " + ProcessHandle.current().pid()
                + " listening on " + config.socket()
                + (config.tcpHost() != null ? " and tcp " + config.tcpHost() + ":" + daemon.tcpPort() : ""));
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
                daemon.stop().eventually(vertx::close).await(30, TimeUnit.SECONDS);
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
        return new DaemonConfig(state != null ? state : DaemonConfig.defaultStateDir(), tcpHost, tcpPort, agent, boot,
                bridgeHost, bridgePort, driver, image);
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
