package dev.paddock.cli.sandbox;

import dev.paddock.cli.ApiCommand;
import dev.paddock.cli.CliContext;
import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.ApiException;
import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.tty.Terminal;
import dev.paddock.cli.tty.TtySession;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code paddock run}: the user's main command. The sandbox is keyed by the workspace paths ({@link WorkspaceKey}),
 * so running again in the same directories re-attaches to the same sandbox (starting it if it was stopped) instead
 * of making another; then the agent, or a login shell, runs on a terminal in the first workspace. When stdin is not
 * a terminal (a pipe, a file), it runs without one instead, as {@code exec -i} runs a process ({@code docker run -i}
 * without {@code -t}), unless {@code --tty} asks for the terminal session anyway.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Open an agent (or a shell) in the sandbox of these workspace directories, creating and booting"
                + " it on first use and re-attaching afterwards.",
                "Each PATH (default: the current directory) is shared at the same absolute path, read-write, or"
                        + " read-only with a :ro suffix. The session starts in the first one.",
                "On a terminal the session gets one; with stdin piped (echo 'make test' | paddock run shell) the program"
                        + " runs without one, like docker run -i: stdin is its input to the end, stdout and stderr come"
                        + " back apart.",
                "Examples:  paddock run shell    paddock run claude ~/src/app ~/src/lib:ro"},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"N:the agent's or shell's own status", "2:bad flags or arguments",
                "3:no daemon answered and none could be started", "1:the sandbox could not be created or booted"})
public final class RunCommand extends ApiCommand {

    @Parameters(index = "0", arity = "0..1", paramLabel = "AGENT|shell",
            description = "The program to run in the sandbox (a command on its PATH), or shell for a login shell (default).")
    String agent;

    @Parameters(index = "1..*", paramLabel = "PATH", description = "Workspace directories (default: the current directory).")
    List<String> paths = new ArrayList<>();

    @Mixin
    SandboxOptions options;

    @Option(names = "--console", description = "Show the sandbox's console while it boots.")
    boolean console;

    @Option(names = {"-t", "--tty"}, description = "A terminal session even when stdin is not a terminal: stdin's bytes"
            + " are typed into it, then Ctrl-D (default: a terminal only when stdin and stdout are one).")
    boolean tty;

    public RunCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    protected int run(DaemonClient client) throws Exception {
        List<String> workspaceArgs = new ArrayList<>(paths);
        String program = agent == null ? "shell" : agent;
        if (agent != null && WorkspaceKey.looksLikePath(agent)) {
            // `paddock run .` or `paddock run ~/src/app`: no agent named, the first word is a workspace.
            workspaceArgs.add(0, agent);
            program = "shell";
        }
        WorkspaceKey key = WorkspaceKey.of(ctx.cwd(), workspaceArgs.isEmpty() ? List.of(".") : workspaceArgs);
        JsonObject sandbox = ensureReady(client, key, program);

        List<String> argv = "shell".equals(program) ? WorkspaceKey.LOGIN_SHELL : List.of(program);
        String cwd = key.workspaces().get(0).path();
        boolean terminal = ctx.in() == System.in && Terminal.isInteractive();
        if (!terminal && !tty) {
            // Like `docker run -i` without -t: no pty, stdin given to the process (its end is the process's EOF, not
            // the session's), stdout and stderr apart and whole, and the process's exit code.
            return ExecCommand.streamed(client, sandbox.getString("id"), argv, Map.of(), cwd, null, ctx.in(), ctx);
        }
        Map<String, String> env = new LinkedHashMap<>();
        String term = ctx.getenv("TERM");
        env.put("TERM", term == null ? "xterm-256color" : term);
        int[] size = Terminal.size();
        String path = TtySession.path(Sandboxes.path(sandbox.getString("id")), argv, cwd, env, size[0], size[1]);
        if (!terminal) {
            ctx.err().println("paddock: stdin is not a terminal (--tty): forwarding it as typed input");
        }
        return new TtySession(client).run(path, ctx.in(), ctx.out(), terminal);
    }

    private JsonObject ensureReady(DaemonClient client, WorkspaceKey key, String program) throws InterruptedException {
        BootProgress progress = new BootProgress(client, ctx.err(), console);
        JsonObject existing;
        try {
            existing = client.get(Sandboxes.path(key.name())).requireOk().jsonObject();
        } catch (ApiException e) {
            if (e.status() != 404) {
                throw e;
            }
            JsonObject spec = options.applyTo(key.createSpec(program));
            return progress.create(spec);
        }
        String state = existing.getString("state");
        switch (state) {
            case "ready":
                ctx.err().println("paddock: attaching to sandbox " + Sandboxes.label(existing));
                return existing;
            case "stopped":
            case "failed":
                return progress.start(existing.getString("id"));
            case "creating":
            case "booting":
                ctx.err().println("paddock: sandbox " + Sandboxes.label(existing) + " is " + state + "; waiting for it");
                return progress.awaitReady(existing.getString("id"), System.nanoTime());
            default:
                throw new CliException(ExitCodes.FAILED, "sandbox " + Sandboxes.label(existing) + " is " + state
                        + "; wait for it to stop, then run again (paddock ls shows its state)");
        }
    }
}
