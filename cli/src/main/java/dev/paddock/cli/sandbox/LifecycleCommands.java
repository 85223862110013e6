package dev.paddock.cli.sandbox;

import dev.paddock.cli.ApiCommand;
import dev.paddock.cli.CliContext;
import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.DaemonClient;
import io.vertx.core.json.JsonObject;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code paddock start}, {@code stop} and {@code rm}: one transition each, on one or more sandboxes. */
public final class LifecycleCommands {
    private LifecycleCommands() {
    }

    /** Runs the action on each sandbox; every failure is reported, and the status is the first failure's. */
    static int each(CliContext ctx, List<String> sandboxes, Action action) throws Exception {
        int status = ExitCodes.OK;
        for (String s : sandboxes) {
            try {
                action.apply(s);
            } catch (CliException e) {
                ctx.err().println("paddock: " + e.getMessage());
                if (status == ExitCodes.OK) {
                    status = e.exitCode();
                }
            }
        }
        return status;
    }

    interface Action {
        void apply(String sandbox) throws Exception;
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Boot stopped or failed sandboxes (disks as they were).",
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:all ready", "1:one did not boot",
                    "3:no daemon answered and none could be started", "4:no such sandbox"})
    public static final class Start extends ApiCommand {
        @Parameters(arity = "1..*", paramLabel = "SANDBOX", description = "Ids or names.")
        List<String> sandboxes;

        @Option(names = "--console", description = "Show each sandbox's console while it boots.")
        boolean console;

        public Start(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) throws Exception {
            BootProgress progress = new BootProgress(client, ctx.err(), console);
            return each(ctx, sandboxes, s -> progress.start(s));
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Shut sandboxes down through their agent; kill them after the timeout.",
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:all stopped", "1:the daemon refused one",
                    "3:no daemon answered and none could be started", "4:no such sandbox"})
    public static final class Stop extends ApiCommand {
        @Parameters(arity = "1..*", paramLabel = "SANDBOX", description = "Ids or names.")
        List<String> sandboxes;

        @Option(names = {"-t", "--timeout"}, paramLabel = "SECONDS", defaultValue = "10",
                description = "How long an orderly shutdown may take, 0-300 (default ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        public Stop(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) throws Exception {
            return each(ctx, sandboxes, s -> {
                JsonObject stopped = client.post(Sandboxes.path(s) + "/stop?wait=true&timeoutSeconds=" + timeoutSeconds, null)
                        .requireOk().jsonObject();
                ctx.out().println(stopped.getString("id"));
            });
        }
    }

    @Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true,
            description = "Remove stopped sandboxes with their disks (-f: stop running ones first).",
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:all removed",
                    "1:the daemon refused one (still running: use -f)", "3:no daemon answered and none could be started",
                    "4:no such sandbox"})
    public static final class Remove extends ApiCommand {
        @Parameters(arity = "1..*", paramLabel = "SANDBOX", description = "Ids or names.")
        List<String> sandboxes;

        @Option(names = {"-f", "--force"}, description = "Stop (kill) a running sandbox instead of refusing.")
        boolean force;

        public Remove(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) throws Exception {
            return each(ctx, sandboxes, s -> {
                client.delete(Sandboxes.path(s) + (force ? "?force=true" : "")).requireOk();
                ctx.out().println(s);
            });
        }
    }
}
