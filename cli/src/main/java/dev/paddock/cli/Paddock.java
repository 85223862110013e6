package dev.paddock.cli;

import dev.paddock.cli.daemon.DaemonCommand;
import dev.paddock.cli.egress.PolicyCommand;
import dev.paddock.cli.egress.SecretCommand;
import dev.paddock.cli.rig.RigCommand;
import dev.paddock.cli.sandbox.CreateCommand;
import dev.paddock.cli.sandbox.ExecCommand;
import dev.paddock.cli.sandbox.LifecycleCommands;
import dev.paddock.cli.sandbox.ListCommand;
import dev.paddock.cli.sandbox.LogsCommand;
import dev.paddock.cli.sandbox.PortsCommand;
import dev.paddock.cli.sandbox.RunCommand;
import dev.paddock.cli.vmm.VmmCommand;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code paddock} command: the user's way in. Subcommands live beside it, one class each. */
@Command(
        name = "paddock",
        mixinStandardHelpOptions = true,
        versionProvider = Paddock.Version.class,
        description = {"Hardware-isolated microVM sandboxes for AI coding agents.",
                "Start here: paddock run shell (a shell in a sandbox of the current directory)."},
        exitCodeListHeading = "%nExit status (every command that talks to the daemon):%n",
        exitCodeList = {"0:done", "1:the daemon refused the request (the message says why)", "2:bad flags or arguments",
                "3:no daemon answered and none could be started", "4:no such sandbox (or secret)",
                "N:exec and run: the command's own status once it ran"},
        subcommands = {CommandLine.HelpCommand.class, RunCommand.class, CreateCommand.class, ExecCommand.class,
                ListCommand.class, LifecycleCommands.Start.class, LifecycleCommands.Stop.class,
                LifecycleCommands.Remove.class, LogsCommand.class, PortsCommand.class, PolicyCommand.class,
                SecretCommand.class, DaemonCommand.class, CompletionCommand.class, RigCommand.class, VmmCommand.class})
public final class Paddock implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine(CliContext.system()).execute(args));
    }

    /** The configured command line on this process's environment and streams. */
    public static CommandLine commandLine() {
        return commandLine(CliContext.system());
    }

    /**
     * The command line on a given environment and streams: tests run commands in-process with their own state
     * directory and read what they print.
     */
    public static CommandLine commandLine(CliContext context) {
        CommandLine cl = new CommandLine(new Paddock(), new CommandFactory(context));
        cl.setOut(new PrintWriter(context.out(), true));
        cl.setErr(new PrintWriter(context.err(), true));
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Paddock.class.getPackage().getImplementationVersion();
            return new String[] {"paddock " + (v == null ? "(development build)" : v)};
        }
    }
}
