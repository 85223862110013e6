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

/** {@code paddock ls}: every sandbox, as a table or as the API's JSON. */
@Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true,
        description = "List sandboxes, oldest first.",
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:listed", "3:no daemon answered and none could be started"})
public final class ListCommand extends ApiCommand {
    @Option(names = "--json", description = "Print the daemon's JSON array of sandboxes (openapi.yaml's Sandbox objects).")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print ids only.")
    boolean quiet;

    public ListCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    protected int run(DaemonClient client) {
        JsonArray sandboxes = client.get("/v1/sandboxes").requireOk().jsonObject().getJsonArray("sandboxes", new JsonArray());
        if (json) {
            ctx.out().println(sandboxes.encodePrettily());
            return ExitCodes.OK;
        }
        if (quiet) {
            sandboxes.forEach(s -> ctx.out().println(((JsonObject) s).getString("id")));
            return ExitCodes.OK;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"ID", "NAME", "STATE", "CPUS", "MEMORY", "WORKSPACES"});
        for (Object o : sandboxes) {
            JsonObject s = (JsonObject) o;
            List<String> ws = new ArrayList<>();
            s.getJsonArray("workspaces", new JsonArray()).forEach(w -> {
                JsonObject wo = (JsonObject) w;
                ws.add(wo.getString("path") + ("ro".equals(wo.getString("mode")) ? ":ro" : ""));
            });
            rows.add(new String[] {s.getString("id"), s.getString("name"), s.getString("state"),
                    String.valueOf(s.getValue("cpus")), s.getValue("memoryMib") + " MiB",
                    ws.isEmpty() ? "-" : String.join(",", ws)});
        }
        Table.print(ctx.out(), rows);
        return ExitCodes.OK;
    }
}
