package dev.paddock.cli.daemon;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.api.DaemonEndpoint;
import dev.paddock.cli.api.DaemonUnreachableException;
import dev.paddock.cli.api.PaddockState;
import dev.paddock.cli.rig.HelperVm;
import dev.paddock.cli.rig.RigException;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The daemon on the emulated accelerator (docs/accelerators.md): where this host cannot run guest kernels at speed,
 * the daemon runs inside the helper VM (L1), whose nested KVM boots the sandboxes, and the CLI reaches its API over
 * TCP on the loopback port that QEMU forwards ({@link HelperVm#forwardedApiPort()}), with the daemon's token.
 *
 * <p>Inside L1 the daemon's state directory is the helper VM's own ext4 disk, mounted at the same path in L1 as
 * {@code $PADDOCK_STATE/helper-vm/daemon-state} (empty on the host): unix sockets work there, which they do not on the
 * 9p share, and the sandboxes persist across helper-VM restarts. The sandbox image is read from the host's
 * {@code $PADDOCK_STATE/images/current} through the read-only share. The daemon's token is copied to
 * {@code $PADDOCK_STATE/daemon-emulated.token} (0600) for the CLI.
 */
public final class EmulatedDaemon {
    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
    /**
     * While the daemon starts, QEMU's port forward accepts and then resets each probe (nothing listens in L1 yet),
     * and Vert.x logs every reset as SEVERE: noise for a CLI user, so that logger is silenced (held here, as
     * java.util.logging keeps loggers only weakly).
     */
    private static final java.util.logging.Logger CONNECTION_LOG =
            java.util.logging.Logger.getLogger("io.vertx.core.net.impl.ConnectionBase");

    private final PaddockState state;
    private final HelperVm vm;
    private final PrintStream progress;
    private final Runnable imageBuild;

    /** For stopping and inspecting a daemon only: {@link #ensureRunning} with it never builds the sandbox image. */
    public EmulatedDaemon(PaddockState state, HelperVm vm, PrintStream progress) {
        this(state, vm, progress, () -> { });
    }

    /**
     * @param imageBuild run before a daemon is started in the helper VM: builds, on the host, the sandbox image it
     *                   boots ({@code $PADDOCK_STATE/images/current}, read through the state share) when it is
     *                   missing or stale (SandboxImageBuild)
     */
    public EmulatedDaemon(PaddockState state, HelperVm vm, PrintStream progress, Runnable imageBuild) {
        this.state = state;
        this.vm = vm;
        this.progress = progress;
        this.imageBuild = imageBuild;
    }

    /** The host-side copy of the daemon's token. */
    Path tokenCopy() {
        return state.dir().resolve("daemon-emulated.token");
    }

    /** The daemon's state directory inside L1. */
    Path innerState() {
        return vm.paths().daemonStateMount();
    }

    /** The endpoint of a daemon already running in a running helper VM, if there is one; starts nothing. */
    public Optional<DaemonEndpoint.Tcp> current() {
        Optional<Integer> port = vm.forwardedApiPort();
        if (port.isEmpty() || !Files.isReadable(tokenCopy())) {
            return Optional.empty();
        }
        try {
            String token = Files.readString(tokenCopy()).strip();
            return token.isEmpty() ? Optional.empty() : Optional.of(new DaemonEndpoint.Tcp("127.0.0.1", port.get(), token));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The endpoint of a daemon that answers: the one already running, or one started now (the helper VM first, when
     * needed), with progress on {@code progress}.
     */
    public DaemonEndpoint.Tcp ensureRunning() {
        Optional<DaemonEndpoint.Tcp> now = current();
        if (now.isPresent() && answers(now.get())) {
            return now.get();
        }
        // On the host, before the helper VM starts: the build needs the host's tools, and its CPU time is better
        // spent before TCG competes for it.
        imageBuild.run();
        try {
            if (vm.running().isEmpty()) {
                progress.println("paddock: this host runs guests through the emulated accelerator; starting the helper VM"
                        + " (docs/accelerators.md)");
            }
            vm.ensureRunning();
            int port = vm.forwardedApiPort().orElseThrow(() -> new CliException(ExitCodes.DAEMON_UNREACHABLE,
                    "the helper VM runs without a forwarded API port (started by an older paddock);"
                            + " restart it: paddock rig stop"));
            Files.deleteIfExists(tokenCopy());
            CONNECTION_LOG.setLevel(java.util.logging.Level.OFF);
            progress.println("paddock: starting the daemon inside the helper VM (log: " + innerState().resolve("daemon.log")
                    + " inside it; paddock rig exec -- cat that file)");
            long t0 = System.nanoTime();
            int rc = vm.exec(Path.of("/"), List.of("/bin/sh", "-c", launchScript(port)));
            if (rc != 0) {
                throw new DaemonUnreachableException("the daemon inside the helper VM did not start (status " + rc
                        + "); its log: paddock rig exec -- tail -n 30 " + innerState().resolve("daemon.log"), null);
            }
            DaemonEndpoint.Tcp endpoint = current().orElseThrow(() -> new DaemonUnreachableException(
                    "the daemon inside the helper VM wrote no token to " + tokenCopy(), null));
            long deadline = t0 + START_TIMEOUT.toNanos();
            // One client (one Vert.x instance) for all the probes, not one per probe.
            try (DaemonClient client = DaemonClient.open(endpoint)) {
                while (!answers(client)) {
                    if (System.nanoTime() > deadline) {
                        throw new DaemonUnreachableException("the daemon inside the helper VM did not answer on "
                                + endpoint.describe() + " within " + START_TIMEOUT.toMinutes() + " min; its log: paddock"
                                + " rig exec -- tail -n 30 " + innerState().resolve("daemon.log"), null);
                    }
                    Thread.sleep(250);
                }
            }
            progress.printf("paddock: daemon ready inside the helper VM in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            return endpoint;
        } catch (RigException e) {
            throw new DaemonUnreachableException("the helper VM for the emulated accelerator is not available: "
                    + e.getMessage(), e);
        } catch (IOException e) {
            throw new DaemonUnreachableException("cannot start the daemon inside the helper VM: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.DAEMON_UNREACHABLE, "interrupted while waiting for the daemon", e);
        }
    }

    /**
     * Whether the CLI should use the daemon inside the helper VM: this host runs guests through the emulated
     * accelerator, no PADDOCK_DAEMON names a daemon, and PADDOCK_EMULATED is not 0 (0 keeps a local daemon, which
     * then has only the loopback driver: no VMs).
     */
    public static boolean applies(java.util.Map<String, String> env) {
        String daemon = env.get("PADDOCK_DAEMON");
        if ((daemon != null && !daemon.isBlank()) || "0".equals(env.get("PADDOCK_EMULATED"))) {
            return false;
        }
        return dev.paddock.hypervisor.linux.AcceleratorProbe.probe().accelerator()
                == dev.paddock.hypervisor.Accelerator.EMULATED;
    }

    /** Stops the daemon inside the helper VM (SIGTERM, which stops its sandboxes); false when none runs. */
    public boolean stop(Duration timeout) {
        if (vm.running().isEmpty()) {
            return false;
        }
        String pidFile = q(innerState().resolve("daemon.pid").toString());
        int rc = vm.exec(Path.of("/"), List.of("/bin/sh", "-c", String.join("\n",
                "[ -s " + pidFile + " ] || exit 3",
                "pid=$(cat " + pidFile + ")",
                "kill -0 \"$pid\" 2>/dev/null || exit 3",
                "kill \"$pid\"",
                "i=0",
                "while kill -0 \"$pid\" 2>/dev/null; do i=$((i + 1)); [ \"$i\" -lt " + timeout.toSeconds() * 4
                        + " ] || exit 1; sleep 0.25; done")));
        try {
            Files.deleteIfExists(tokenCopy());
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILED, "cannot remove " + tokenCopy() + ": " + e.getMessage(), e);
        }
        if (rc == 1) {
            throw new CliException(ExitCodes.FAILED, "the daemon inside the helper VM did not exit within "
                    + timeout.toSeconds() + " s of SIGTERM; paddock rig stop ends it with the helper VM");
        }
        return rc == 0;
    }

    /**
     * Run by /bin/sh inside L1: starts the daemon in a session of its own (detached from the rig agent's exec), waits
     * for the token it writes at start, and copies it to the host through the state share.
     */
    String launchScript(int port) {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(p -> Path.of(p).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
        Path inner = innerState();
        Path image = state.dir().resolve("images").resolve("current");
        // --driver microvm: the helper VM's nested KVM always boots guests, even when a loaded host makes L1's own
        // accelerator probe time out as "emulated". The script waits for the daemon's "listening on" line (in the
        // part of the log this start wrote) or its death, then copies the token.
        return String.join("\n",
                "set -e",
                "inner=" + q(inner.toString()),
                "mkdir -p \"$inner\" && chmod 700 \"$inner\"",
                "rm -f \"$inner/daemon.token\"",
                "touch \"$inner/daemon.log\"",
                "start=$(stat -c %s \"$inner/daemon.log\")",
                "setsid " + q(javaBin) + " -cp " + q(classpath) + " " + DaemonLauncher.DAEMON_MAIN
                        + " --state \"$inner\" --tcp 0.0.0.0:" + port + " --driver microvm --boot-timeout 300 --image " + q(image.toString())
                        + " </dev/null >>\"$inner/daemon.log\" 2>&1 &",
                "pid=$!",
                "i=0",
                "until tail -c +$((start + 1)) \"$inner/daemon.log\" | grep -q 'listening on'; do",
                "  kill -0 \"$pid\" 2>/dev/null || { echo \"paddock: the daemon exited; its log ends with:\" >&2;"
                        + " tail -n 20 \"$inner/daemon.log\" >&2; exit 1; }",
                "  i=$((i + 1)); [ \"$i\" -lt 1200 ] || { echo 'paddock: the daemon did not listen within 5 minutes' >&2; exit 1; }",
                "  sleep 0.25",
                "done",
                "[ -s \"$inner/daemon.token\" ] || { echo 'paddock: the daemon listens but wrote no token' >&2; exit 1; }",
                "umask 077",
                "cp \"$inner/daemon.token\" " + q(tokenCopy() + ".tmp"),
                "mv " + q(tokenCopy() + ".tmp") + " " + q(tokenCopy().toString()));
    }

    private static String q(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static boolean answers(DaemonEndpoint.Tcp endpoint) {
        try (DaemonClient client = DaemonClient.open(endpoint)) {
            return answers(client);
        }
    }

    private static boolean answers(DaemonClient client) {
        try {
            return client.answers("/v1/info");
        } catch (RuntimeException e) {
            return false;
        }
    }
}
