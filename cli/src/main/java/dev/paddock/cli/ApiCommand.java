package dev.paddock.cli;

import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.api.DaemonEndpoint;
import dev.paddock.cli.api.DaemonUnreachableException;
import dev.paddock.cli.api.PaddockState;
import dev.paddock.cli.build.SandboxImageBuild;
import dev.paddock.cli.daemon.DaemonLauncher;
import dev.paddock.cli.daemon.EmulatedDaemon;
import dev.paddock.cli.rig.HelperVm;
import dev.paddock.cli.rig.RigPaths;
import dev.paddock.hypervisor.Accelerator;
import dev.paddock.hypervisor.linux.AcceleratorProbe;
import java.util.concurrent.Callable;

/**
 * A command that talks to the daemon: it connects (starting a daemon in the background when none answers on the
 * default socket, unless {@code PADDOCK_AUTOSTART=0}), runs, and turns every {@link CliException} into one
 * {@code paddock: ...} line on stderr and its exit status.
 */
public abstract class ApiCommand implements Callable<Integer> {
    /** The probe that says a daemon answers (docs/api.md). */
    public static final String INFO_PATH = "/v1/info";

    protected final CliContext ctx;

    protected ApiCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    /** The command's work, with a client whose daemon answered. */
    protected abstract int run(DaemonClient client) throws Exception;

    /** False for commands that must not start a daemon (daemon status, daemon stop). */
    protected boolean startsDaemon() {
        return true;
    }

    @Override
    public final Integer call() throws Exception {
        try {
            DaemonEndpoint endpoint = endpoint();
            try (DaemonClient client = DaemonClient.open(endpoint)) {
                connect(client);
                return run(client);
            }
        } catch (CliException e) {
            ctx.err().println("paddock: " + e.getMessage());
            return e.exitCode();
        } finally {
            ctx.out().flush();
        }
    }

    /**
     * The daemon to talk to: PADDOCK_DAEMON's, or on a host that runs guests through the emulated accelerator the
     * one inside the helper VM (started with it when needed), or else the local one on its unix socket.
     */
    private DaemonEndpoint endpoint() {
        DaemonEndpoint local = DaemonEndpoint.fromEnvironment(ctx.env());
        if (EmulatedDaemon.applies(ctx.env()) && !localAnswers(local)) {
            PaddockState state = PaddockState.fromEnvironment(ctx.env());
            EmulatedDaemon emulated = new EmulatedDaemon(state,
                    new HelperVm(RigPaths.fromEnvironment(ctx.env()), ctx.env(), ctx.err()), ctx.err(),
                    new SandboxImageBuild(ctx.env(), state.dir(), ctx.err())::ensureCurrent);
            if (!startsDaemon()) {
                return emulated.current().orElseThrow(() -> new DaemonUnreachableException(
                        "no daemon runs in the helper VM (emulated accelerator); start one with: paddock daemon start", null));
            }
            return emulated.ensureRunning();
        }
        return local;
    }

    /** A daemon already answering on the local socket is used even on an emulated host (e.g. a loopback one). */
    private static boolean localAnswers(DaemonEndpoint local) {
        if (!(local instanceof DaemonEndpoint.Unix unix) || !java.nio.file.Files.exists(unix.socket())) {
            return false;
        }
        try (DaemonClient client = DaemonClient.open(local)) {
            return client.answers(INFO_PATH);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private void connect(DaemonClient client) {
        if (client.answers(INFO_PATH)) {
            return;
        }
        DaemonEndpoint endpoint = client.endpoint();
        if (endpoint instanceof DaemonEndpoint.Tcp) {
            throw new DaemonUnreachableException("no daemon answers on " + endpoint.describe() + " (PADDOCK_DAEMON);"
                    + " check that it runs there, or unset PADDOCK_DAEMON to use the local daemon", null);
        }
        PaddockState state = PaddockState.fromEnvironment(ctx.env());
        DaemonEndpoint.Unix unix = (DaemonEndpoint.Unix) endpoint;
        boolean defaultSocket = unix.socket().equals(state.socket());
        if (!startsDaemon() || !defaultSocket || "0".equals(ctx.getenv("PADDOCK_AUTOSTART"))) {
            throw new DaemonUnreachableException("no daemon answers on " + endpoint.describe()
                    + "; start one with: paddock daemon start" + (defaultSocket ? "" : " (with PADDOCK_STATE set to its directory)")
                    + " (its log: " + state.log() + ")", null);
        }
        String home = ctx.getenv("PADDOCK_HOME");
        String extra = ctx.getenv("PADDOCK_DAEMON_ARGS");
        java.util.List<String> daemonArgs = extra == null ? java.util.List.of() : java.util.List.of(extra.trim().split("\\s+"));
        SandboxImageBuild image = new SandboxImageBuild(ctx.env(), state.dir(), ctx.err());
        DaemonLauncher.forThisJar(state, ctx.err(), home == null ? ctx.cwd() : java.nio.file.Path.of(home), daemonArgs)
                .preparing(() -> {
                    // A daemon that will boot microVMs from $PADDOCK_STATE/images/current needs that image first.
                    if (SandboxImageBuild.localDaemonBootsIt(daemonArgs, () -> AcceleratorProbe.probe().accelerator()
                            == Accelerator.NATIVE)) {
                        image.ensureCurrent();
                    }
                })
                .ensureRunning(client, () -> client.answers(INFO_PATH));
    }

}
