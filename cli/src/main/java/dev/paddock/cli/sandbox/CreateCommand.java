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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code paddock create}: a sandbox, booted (unless --no-start); prints its id on stdout. */
@Command(name = "create", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Create a sandbox and boot it (progress on stderr); print its id.",
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {
                "0:created (and ready unless --no-start)", "1:the daemon refused, or the sandbox did not boot",
                "2:bad flags or arguments", "3:no daemon answered and none could be started"})
public final class CreateCommand extends ApiCommand {
    @Option(names = {"-n", "--name"}, paramLabel = "NAME", description = "Unique name ([a-z0-9][a-z0-9_.-]*, default: the id).")
    String name;

    @Option(names = {"-w", "--workspace"}, paramLabel = "PATH[:ro]",
            description = "Host directory shared at the same path (read-write, or read-only with :ro).")
    List<String> workspaces = new ArrayList<>();

    @Option(names = "--no-start", description = "Create it stopped.")
    boolean noStart;

    @Option(names = "--console", description = "Show the sandbox's console while it boots.")
    boolean console;

    @Mixin
    SandboxOptions options;

    public CreateCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    protected int run(DaemonClient client) throws Exception {
        JsonObject spec = new JsonObject();
        if (name != null) spec.put("name", name);
        if (!workspaces.isEmpty()) {
            JsonArray ws = new JsonArray();
            WorkspaceKey.of(ctx.cwd(), workspaces).workspaces()
                    .forEach(w -> ws.add(new JsonObject().put("path", w.path()).put("mode", w.readOnly() ? "ro" : "rw")));
            spec.put("workspaces", ws);
        }
        if (noStart) spec.put("start", false);
        options.applyTo(spec);
        JsonObject sandbox = new BootProgress(client, ctx.err(), console).create(spec);
        ctx.out().println(sandbox.getString("id"));
        return ExitCodes.OK;
    }
}
