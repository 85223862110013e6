package dev.paddock.cli.sandbox;

import dev.paddock.cli.ApiCommand;
import dev.paddock.cli.CliContext;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.DaemonClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code paddock ports}: a sandbox's published ports and whether each is live. */
@Command(name = "ports", mixinStandardHelpOptions = true, description = "Show where a sandbox's ports are published.",
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:printed",
                "3:no daemon answered and none could be started", "4:no such sandbox"})
public final class PortsCommand extends ApiCommand {
    @Parameters(index = "0", paramLabel = "SANDBOX", description = "Id or name.")
    String sandbox;

    @Option(names = "--json", description = "Print the daemon's JSON.")
    boolean json;

    public PortsCommand(CliContext ctx) {
        super(ctx);
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
            ctx.out().println("no ports published (create the sandbox with -p [HOSTPORT:]GUESTPORT)");
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
