package dev.paddock.daemon;

import dev.paddock.daemon.metrics.DaemonMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code java -cp <jar> dev.paddock.daemon.DaemonMain [--state DIR] [--tcp HOST:PORT] [--agent PATH]
 * [--boot-timeout SECONDS]}: runs the daemon in the foreground until SIGTERM or SIGINT, then stops every sandbox,
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
            System.err.println("usage: DaemonMain [--state DIR] [--tcp HOST:PORT] [--agent PATH] [--boot-timeout SECONDS]");
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
        Path agent = null;
        java.time.Duration boot = DaemonConfig.DEFAULT_BOOT_TIMEOUT;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--state" -> state = Path.of(require(a, value));
                case "--tcp" -> {
                    String hp = require(a, value);
                    int colon = hp.lastIndexOf(':');
                    if (colon <= 0) {
                        throw new IllegalArgumentException("--tcp " + hp + ": expected HOST:PORT, e.g. 127.0.0.1:7070");
                    }
                    tcpHost = hp.substring(0, colon);
                    try {
                        tcpPort = Integer.parseInt(hp.substring(colon + 1));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--tcp " + hp + ": the port is not a number");
                    }
                    if (tcpPort < 0 || tcpPort > 65535) {
                        throw new IllegalArgumentException("--tcp " + hp + ": the port must be 0..65535 (0 = any)");
                    }
                }
                case "--agent" -> agent = Path.of(require(a, value));
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
        return new DaemonConfig(state != null ? state : DaemonConfig.defaultStateDir(), tcpHost, tcpPort, agent, boot);
    }

    private static String require(String flag, String value) {
        if (value == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }
}
