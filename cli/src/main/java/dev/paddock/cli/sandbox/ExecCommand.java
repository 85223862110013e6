package dev.paddock.cli.sandbox;

import dev.paddock.cli.ApiCommand;
import dev.paddock.cli.CliContext;
import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.tty.Terminal;
import dev.paddock.cli.tty.TtySession;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code paddock exec}: one process in a ready sandbox, with its output streamed, or with a terminal (-t). */
@Command(name = "exec", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a command in a ready sandbox and exit with its status.",
                "Without -t, stdout and stderr stream back as the process writes them; with -i, stdin is read to its end"
                        + " first and given to the process. With -t the process gets a terminal and stdin is live (with -i)."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"N:the command's own status once it ran (128+signal when killed)",
                "2:bad flags or arguments", "3:no daemon answered and none could be started",
                "4:no such sandbox", "1:the daemon refused (not ready, no such program: the message says)"})
public final class ExecCommand extends ApiCommand {
    /** The API takes stdin whole, base64 in the request; more than this belongs in a file in the workspace. */
    static final int MAX_STDIN = 8 << 20;

    @Option(names = {"-i", "--interactive"}, description = "Give stdin to the process.")
    boolean interactive;

    @Option(names = {"-t", "--tty"}, description = "Run the process on a terminal (live, over the daemon's WebSocket).")
    boolean tty;

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory in the sandbox.")
    String cwd;

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "User name or uid[:gid] in the sandbox.")
    String user;

    @Option(names = {"-e", "--env"}, paramLabel = "NAME=VALUE", description = "Environment for this process.")
    List<String> env = new ArrayList<>();

    @Parameters(index = "0", paramLabel = "SANDBOX", description = "The sandbox's id or name.")
    String sandbox;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (put -- before it).")
    List<String> command;

    public ExecCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    protected int run(DaemonClient client) throws Exception {
        Map<String, String> environment = SandboxOptions.keyValues(env, "--env");
        if (tty) {
            boolean raw = interactive && Terminal.isInteractive();
            Map<String, String> ttyEnv = new LinkedHashMap<>(environment);
            String term = ctx.getenv("TERM");
            if (term != null) {
                ttyEnv.putIfAbsent("TERM", term);
            }
            int[] size = Terminal.size();
            String path = TtySession.path(Sandboxes.path(sandbox), command, cwd, ttyEnv, size[0], size[1]);
            InputStream in = interactive ? ctx.in() : InputStream.nullInputStream();
            return new TtySession(client).run(path, in, ctx.out(), raw);
        }
        return streamed(client, sandbox, command, environment, cwd, user, interactive ? ctx.in() : null, ctx);
    }

    /**
     * A process without a terminal (POST .../exec): stdin, when given, is read to its end and handed over whole, so
     * the process reads it and then sees end-of-file; stdout and stderr stream back to the CLI's own, each apart;
     * returns the process's exit code. {@code exec [-i]} and {@code run} with a piped stdin both come here.
     */
    static int streamed(DaemonClient client, String sandbox, List<String> argv, Map<String, String> environment,
                        String cwd, String user, InputStream stdin, CliContext ctx) throws IOException, InterruptedException {
        JsonObject request = new JsonObject().put("argv", new JsonArray(new ArrayList<>(argv)));
        if (!environment.isEmpty()) request.put("env", new JsonObject(new LinkedHashMap<>(environment)));
        if (cwd != null) request.put("cwd", cwd);
        if (user != null) request.put("user", user);
        if (stdin != null) request.put("stdin", Base64.getEncoder().encodeToString(readStdin(stdin)));
        return ExecOutput.run(client, sandbox, request, ctx.out(), ctx.err());
    }

    private static byte[] readStdin(InputStream in) throws IOException {
        byte[] data = in.readNBytes(MAX_STDIN + 1);
        if (data.length > MAX_STDIN) {
            throw new CliException(ExitCodes.USAGE, "stdin is over " + (MAX_STDIN >> 20) + " MiB, the most the daemon"
                    + " takes for a process without a terminal; put the data in a workspace directory and read it from"
                    + " there, or give the process a terminal (exec -it, or run from a terminal) to stream it");
        }
        return data;
    }
}
