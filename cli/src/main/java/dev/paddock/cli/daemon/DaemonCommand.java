package dev.paddock.cli.daemon;

import dev.paddock.cli.ApiCommand;
import dev.paddock.cli.CliContext;
import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.api.DaemonEndpoint;
import dev.paddock.cli.api.PaddockState;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code paddock daemon start|stop|status}. Other commands start the daemon on their own when none answers. */
@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = "Start, stop or inspect the Paddock daemon of this state directory (PADDOCK_STATE).",
        subcommands = {DaemonCommand.Start.class, DaemonCommand.Stop.class, DaemonCommand.Status.class})
public final class DaemonCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static void printInfo(CliContext ctx, JsonObject info) {
        ctx.out().printf("daemon: running, pid %s, version %s, driver %s%n", info.getValue("pid"), info.getString("version"),
                info.getString("driver"));
        ctx.out().println("state directory: " + info.getString("stateDir"));
        ctx.out().println("started: " + info.getString("startedAt"));
        if (info.getString("tcp") != null) {
            ctx.out().println("tcp: " + info.getString("tcp"));
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start the daemon in the background (output to $PADDOCK_STATE/daemon.log), or report the running one.",
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:running", "3:it could not be started (the log says why)"})
    public static final class Start extends ApiCommand {
        public Start(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) {
            printInfo(ctx, client.get(INFO_PATH).requireOk().jsonObject());
            return ExitCodes.OK;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Say whether a daemon answers, and what it is.",
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:a daemon answers", "3:none answers"})
    public static final class Status extends ApiCommand {
        public Status(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected boolean startsDaemon() {
            return false;
        }

        @Override
        protected int run(DaemonClient client) {
            printInfo(ctx, client.get(INFO_PATH).requireOk().jsonObject());
            return ExitCodes.OK;
        }
    }

    /**
     * Stops the local daemon with SIGTERM (it then stops its sandboxes' processes and removes its socket and pid
     * file, docs/api.md), after checking that the pid in {@code daemon.pid} is really a Paddock daemon.
     */
    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Stop the daemon of this state directory (SIGTERM; sandboxes come back stopped at the next start).",
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:stopped, or none was running",
                    "1:it did not exit in time, or the pid file names another program"})
    public static final class Stop implements Callable<Integer> {
        private final CliContext ctx;

        @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
                description = "How long to wait for it to exit (default ${DEFAULT-VALUE}).")
        long timeoutSeconds;

        public Stop(CliContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public Integer call() {
            try {
                if (DaemonEndpoint.fromEnvironment(ctx.env()) instanceof DaemonEndpoint.Tcp) {
                    throw new CliException(ExitCodes.USAGE, "daemon stop works on the local daemon only; PADDOCK_DAEMON"
                            + " points at a TCP one, which is stopped where it runs");
                }
                PaddockState state = PaddockState.fromEnvironment(ctx.env());
                if (EmulatedDaemon.applies(ctx.env())) {
                    EmulatedDaemon emulated = new EmulatedDaemon(state, new dev.paddock.cli.rig.HelperVm(
                            dev.paddock.cli.rig.RigPaths.fromEnvironment(ctx.env()), ctx.env(), ctx.err()), ctx.err());
                    ctx.out().println(emulated.stop(java.time.Duration.ofSeconds(timeoutSeconds))
                            ? "daemon: stopped (inside the helper VM)" : "daemon: not running");
                    return ExitCodes.OK;
                }
                Optional<ProcessHandle> daemon = DaemonProcess.find(state);
                if (daemon.isEmpty()) {
                    ctx.out().println("daemon: not running");
                    return ExitCodes.OK;
                }
                ProcessHandle p = daemon.get();
                p.destroy();
                try {
                    p.onExit().get(timeoutSeconds, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new CliException(ExitCodes.FAILED, "the daemon (pid " + p.pid() + ") did not exit within "
                            + timeoutSeconds + " s of SIGTERM; see " + state.log() + ", or kill it: kill -9 " + p.pid(), e);
                }
                ctx.out().println("daemon: stopped (pid " + p.pid() + ")");
                return ExitCodes.OK;
            } catch (CliException e) {
                ctx.err().println("paddock: " + e.getMessage());
                return e.exitCode();
            } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
                ctx.err().println("paddock: interrupted while waiting for the daemon to exit");
                return ExitCodes.FAILED;
            }
        }
    }

    /** The daemon process named by {@code $PADDOCK_STATE/daemon.pid}, when it is alive and is a Paddock daemon. */
    static final class DaemonProcess {
        private DaemonProcess() {
        }

        static Optional<ProcessHandle> find(PaddockState state) {
            Path pidFile = state.dir().resolve("daemon.pid");
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            long pid;
            try {
                pid = Long.parseLong(Files.readString(pidFile).trim());
            } catch (IOException | NumberFormatException e) {
                throw new CliException(ExitCodes.FAILED, "cannot read the daemon's pid from " + pidFile + ": " + e.getMessage()
                        + "; remove the file if no daemon runs", e);
            }
            Optional<ProcessHandle> p = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
            if (p.isEmpty()) {
                return Optional.empty();
            }
            // /proc/PID/cmdline in full: ProcessHandle.Info's command line is cut short for a long class path.
            List<String> argv;
            try {
                argv = List.of(new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                        java.nio.charset.StandardCharsets.UTF_8).split("\0"));
            } catch (IOException e) {
                return p; // It exited meanwhile, or /proc is not readable: the signal will tell.
            }
            if (!argv.contains(DaemonLauncher.DAEMON_MAIN)) {
                throw new CliException(ExitCodes.FAILED, pidFile + " names pid " + pid + ", which is not a Paddock daemon ("
                        + String.join(" ", argv.subList(0, Math.min(3, argv.size()))) + " …); the daemon is not running:"
                        + " remove the stale file");
            }
            return p;
        }

    }
}
