package dev.paddock.cli.sandbox;

import dev.paddock.cli.ApiCommand;
import dev.paddock.cli.CliContext;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.ApiStream;
import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.api.SseParser;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code paddock logs}: a sandbox's console (or the daemon's agent log for it), optionally followed live. */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = "Print a sandbox's console log, or with --agent the daemon's log of its agent connection.",
        exitCodeListHeading = "%nExit status:%n", exitCodeList = {"0:printed", "2:bad flags",
                "3:no daemon answered and none could be started", "4:no such sandbox"})
public final class LogsCommand extends ApiCommand {
    @Parameters(index = "0", paramLabel = "SANDBOX", description = "Id or name.")
    String sandbox;

    @Option(names = "--agent", description = "The agent log instead of the console.")
    boolean agent;

    @Option(names = {"-n", "--tail"}, paramLabel = "N", defaultValue = "0", description = "Only the last N lines (0: all).")
    int tail;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new console lines as they come (Ctrl-C ends).")
    boolean follow;

    public LogsCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    protected int run(DaemonClient client) throws Exception {
        String logPath = Sandboxes.path(sandbox) + "/logs?source=" + (agent ? "agent" : "console") + "&tail=" + tail;
        if (!follow) {
            ctx.out().print(client.get(logPath).requireOk().body().toString());
            return ExitCodes.OK;
        }
        // Subscribe first, then print the log so far: a line may show twice at the seam, but none is lost.
        String events = "/v1/events?sandbox=" + URLEncoder.encode(sandbox, StandardCharsets.UTF_8);
        try (ApiStream stream = client.stream(HttpMethod.GET, events, null)) {
            ctx.out().print(client.get(logPath).requireOk().body().toString());
            ctx.out().flush();
            SseParser parser = new SseParser();
            Buffer chunk;
            while ((chunk = stream.next()) != null) {
                for (SseParser.Event e : parser.feed(chunk.getBytes())) {
                    if (!agent && e.type().equals("console")) {
                        ctx.out().println(new JsonObject(e.data()).getString("line"));
                    } else if (agent && (e.type().equals("exit") || e.type().equals("progress") || e.type().equals("state"))) {
                        ctx.out().println(e.data());
                    }
                    ctx.out().flush();
                }
            }
        }
        return ExitCodes.OK;
    }
}
