package dev.paddock.cli.sandbox;

import dev.paddock.cli.ApiCommand;
import dev.paddock.cli.CliContext;
import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.DaemonClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code paddock ports SANDBOX}: a sandbox's published ports and whether each is live; {@code paddock ports add}
 * and {@code paddock ports rm} publish and unpublish a port while the sandbox runs (docs/cli.md).
 */
@Command(name = "ports", mixinStandardHelpOptions = true,
        description = {"Show where a sandbox's ports are published; add or remove one while it runs.",
                "  paddock ports SANDBOX                 the ports and whether each is live",
                "  paddock ports add SANDBOX [HOST:]GUEST publish a guest port (HOST 0 or none: any free port)",
                "  paddock ports rm SANDBOX HOSTPORT      unpublish the port on that host port"},
        subcommands = {PortsCommand.Add.class, PortsCommand.Remove.class},
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:printed", "2:no SANDBOX given",
                "3:no daemon answered and none could be started", "4:no such sandbox"})
public final class PortsCommand implements Callable<Integer> {
    // Optional here so that `ports add ...` reaches its subcommand; `ports` alone is still a usage error.
    @Parameters(index = "0", arity = "0..1", paramLabel = "SANDBOX", description = "Id or name.")
    String sandbox;

    @Option(names = "--json", description = "Print the daemon's JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    private final CliContext ctx;

    public PortsCommand(CliContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public Integer call() throws Exception {
        if (sandbox == null) {
            throw new ParameterException(spec.commandLine(), "Missing required parameter: 'SANDBOX' (or use"
                    + " ports add / ports rm)");
        }
        return new Show(ctx, sandbox, json).call();
    }

    /** The listing itself, once a sandbox was named. */
    static final class Show extends ApiCommand {
        private final String sandbox;
        private final boolean json;

        Show(CliContext ctx, String sandbox, boolean json) {
            super(ctx);
            this.sandbox = sandbox;
            this.json = json;
        }

        @Override
        protected int run(DaemonClient client) {
            JsonArray ports = client.get(Sandboxes.path(sandbox) + "/ports").requireOk().jsonObject()
                    .getJsonArray("ports", new JsonArray());
            if (json) {
                ctx.out().println(ports.encodePrettily());
                return ExitCodes.OK;
            }
            if (ports.isEmpty()) {
                ctx.out().println("no ports published (create the sandbox with -p [HOSTPORT:]GUESTPORT, or add one:"
                        + " paddock ports add " + sandbox + " [HOSTPORT:]GUESTPORT)");
                return ExitCodes.OK;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"GUEST", "HOST", "STATE", "REASON"});
            for (Object o : ports) {
                JsonObject p = (JsonObject) o;
                rows.add(new String[] {String.valueOf(p.getValue("guestPort")),
                        p.getString("hostAddress", "127.0.0.1") + ":" + p.getValue("hostPort"),
                        p.getString("state"), p.getString("reason", "")});
            }
            Table.print(ctx.out(), rows);
            return ExitCodes.OK;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Publish a guest TCP port of a running sandbox on a host loopback port, now and at every"
                    + " later boot. Prints the host address and port."},
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:published",
                    "1:the daemon refused (the sandbox is not running, the host port is taken)",
                    "2:bad arguments", "3:no daemon answered and none could be started", "4:no such sandbox"})
    public static final class Add extends ApiCommand {
        @Parameters(index = "0", paramLabel = "SANDBOX", description = "Id or name.")
        String sandbox;

        @Parameters(index = "1", paramLabel = "[HOST:]GUEST",
                description = "The host port to publish on (0 or none: any free port) and the guest port, in the"
                        + " same order as create's -p HOST:GUEST and docker's -p.")
        String mapping;

        public Add(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) {
            JsonObject body = mapping(mapping);
            JsonObject p = client.post(Sandboxes.path(sandbox) + "/ports", body).requireOk().jsonObject();
            ctx.out().println(p.getString("hostAddress", "127.0.0.1") + ":" + p.getValue("hostPort"));
            return ExitCodes.OK;
        }

        /** {@code GUEST} or {@code HOST:GUEST}, as the body of POST /v1/sandboxes/{s}/ports. */
        static JsonObject mapping(String text) {
            String[] parts = text.split(":", -1);
            try {
                if (parts.length == 1) {
                    return new JsonObject().put("guestPort", Integer.parseInt(parts[0]));
                }
                if (parts.length == 2) {
                    return new JsonObject().put("guestPort", Integer.parseInt(parts[1]))
                            .put("hostPort", Integer.parseInt(parts[0]));
                }
            } catch (NumberFormatException e) {
                // Reported below with the accepted forms.
            }
            throw new CliException(ExitCodes.USAGE, "\"" + text + "\" is not [HOST:]GUEST, e.g. 8080 (any free host"
                    + " port) or 18080:8080 (guest 8080 on host 18080, the order of -p)");
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = {"Unpublish the port published on HOSTPORT of a running sandbox, and drop it from the"
                    + " sandbox's later boots. `paddock ports SANDBOX` shows the host ports."},
            exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:unpublished",
                    "1:the daemon refused (the sandbox is not running)", "2:bad arguments",
                    "3:no daemon answered and none could be started",
                    "4:no such sandbox, or nothing published on HOSTPORT"})
    public static final class Remove extends ApiCommand {
        @Parameters(index = "0", paramLabel = "SANDBOX", description = "Id or name.")
        String sandbox;

        @Parameters(index = "1", paramLabel = "HOSTPORT", description = "The host port the mapping is published on.")
        int hostPort;

        public Remove(CliContext ctx) {
            super(ctx);
        }

        @Override
        protected int run(DaemonClient client) {
            client.delete(Sandboxes.path(sandbox) + "/ports/" + hostPort).requireOk();
            return ExitCodes.OK;
        }
    }
}
