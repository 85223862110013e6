package dev.paddock.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How one daemon runs.
 *
 * @param stateDir    {@code $PADDOCK_STATE}: records, logs, secrets, the socket
 * @param tcpHost     listen on TCP too (with a token), or null for the unix socket only
 * @param tcpPort     the TCP port, 0 for any
 * @param agentBinary the guest agent for the loopback driver, or null to locate it ({@code AgentBinary})
 * @param bootTimeout how long a boot may take until the agent answers
 * @param bridgeHost  run the TCP event-bus bridge on this address (docs/event-bus.md), or null for none
 * @param bridgePort  the bridge's port, 0 for any
 * @param driver      {@code microvm}, {@code loopback}, or null to let the accelerator probe choose
 *                    ({@link DriverChoice}: microvm where it says native, loopback otherwise)
 * @param imageDir    the sandbox image the microvm driver boots, or null for {@code <stateDir>/images/current}
 * @param cluster     join a cluster of daemons (docs/cluster.md; needs {@code tcpHost}), or null for a plain daemon
 */
public record DaemonConfig(Path stateDir, String tcpHost, int tcpPort, Path agentBinary, Duration bootTimeout,
                           String bridgeHost, int bridgePort, String driver, Path imageDir,
                           dev.paddock.daemon.cluster.ClusterOptions cluster) {
    public static final Duration DEFAULT_BOOT_TIMEOUT = Duration.ofSeconds(60);

    public DaemonConfig {
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(bootTimeout, "bootTimeout");
        stateDir = stateDir.toAbsolutePath().normalize();
        if (driver != null && !DriverChoice.NAMES.contains(driver)) {
            throw new IllegalArgumentException("driver \"" + driver + "\" is not one of " + DriverChoice.NAMES);
        }
        imageDir = imageDir != null ? imageDir.toAbsolutePath().normalize() : null;
        if (cluster != null && tcpHost == null) {
            throw new IllegalArgumentException("--cluster needs --tcp HOST:PORT: the members forward requests to each"
                    + " other's TCP API with the cluster token (docs/cluster.md)");
        }
    }

    /** A plain (not clustered) daemon. */
    public DaemonConfig(Path stateDir, String tcpHost, int tcpPort, Path agentBinary, Duration bootTimeout,
                        String bridgeHost, int bridgePort, String driver, Path imageDir) {
        this(stateDir, tcpHost, tcpPort, agentBinary, bootTimeout, bridgeHost, bridgePort, driver, imageDir, null);
    }

    /** The loopback driver on the given agent binary, without the event-bus bridge (tests, load tests). */
    public DaemonConfig(Path stateDir, String tcpHost, int tcpPort, Path agentBinary, Duration bootTimeout) {
        this(stateDir, tcpHost, tcpPort, agentBinary, bootTimeout, null, 0, DriverChoice.LOOPBACK, null);
    }

    /** The same daemon with the TCP event-bus bridge on HOST:PORT. */
    public DaemonConfig withBridge(String host, int port) {
        return new DaemonConfig(stateDir, tcpHost, tcpPort, agentBinary, bootTimeout, host, port, driver, imageDir,
                cluster);
    }

    /** The same daemon on another driver ({@code microvm}, {@code loopback}, null for the probe's choice) and image. */
    public DaemonConfig withDriver(String newDriver, Path newImageDir) {
        return new DaemonConfig(stateDir, tcpHost, tcpPort, agentBinary, bootTimeout, bridgeHost, bridgePort,
                newDriver, newImageDir, cluster);
    }

    /** The same daemon as a member of the cluster {@code options} describes. */
    public DaemonConfig withCluster(dev.paddock.daemon.cluster.ClusterOptions options) {
        return new DaemonConfig(stateDir, tcpHost, tcpPort, agentBinary, bootTimeout, bridgeHost, bridgePort, driver,
                imageDir, options);
    }

    /** The image the microvm driver boots: {@code imageDir}, or {@code <stateDir>/images/current}. */
    public Path sandboxImage() {
        return imageDir != null ? imageDir : stateDir.resolve("images").resolve("current");
    }

    /** A token is made at start when anything listens on TCP: the API or the bridge. */
    public boolean needsToken() {
        return tcpHost != null || bridgeHost != null;
    }

    /** Holds the bound bridge port as HOST:PORT while the bridge is on. */
    public Path bridgeFile() {
        return stateDir.resolve("daemon.bridge");
    }

    public static DaemonConfig unixOnly(Path stateDir, Path agentBinary) {
        return new DaemonConfig(stateDir, null, 0, agentBinary, DEFAULT_BOOT_TIMEOUT);
    }

    public Path socket() {
        return stateDir.resolve("daemon.sock");
    }

    public Path pidFile() {
        return stateDir.resolve("daemon.pid");
    }

    public Path tokenFile() {
        return stateDir.resolve("daemon.token");
    }

    /** Holds the bound TCP port as HOST:PORT while TCP is on. */
    public Path tcpFile() {
        return stateDir.resolve("daemon.tcp");
    }

    public Path sandboxesDir() {
        return stateDir.resolve("sandboxes");
    }

    /** {@code $PADDOCK_STATE}, or {@code ~/.paddock}. */
    public static Path defaultStateDir() {
        String env = System.getenv("PADDOCK_STATE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".paddock");
    }
}
