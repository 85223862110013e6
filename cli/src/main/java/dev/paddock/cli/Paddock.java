package dev.paddock.cli;

import dev.paddock.cli.rig.RigCommand;
import dev.paddock.cli.vmm.VmmCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code paddock} command: the user's way in. Subcommands live beside it, one class each. */
@Command(
        name = "paddock",
        mixinStandardHelpOptions = true,
        versionProvider = Paddock.Version.class,
        description = "Hardware-isolated microVM sandboxes for AI coding agents.",
        subcommands = {CommandLine.HelpCommand.class, RigCommand.class, VmmCommand.class})
public final class Paddock implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, also used by tests and by completion generation. */
    public static CommandLine commandLine() {
        return new CommandLine(new Paddock());
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
