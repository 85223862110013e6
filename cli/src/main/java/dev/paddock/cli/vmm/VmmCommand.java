package dev.paddock.cli.vmm;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code paddock vmm}: Paddock's VMM without the daemon, for developers, tests and benchmarks. The one place the
 * CLI drives {@code runtime} directly (an ArchUnit rule allows exactly this package).
 */
@Command(name = "vmm", mixinStandardHelpOptions = true,
        description = "Run Paddock's microVM monitor directly, without the daemon (developers, tests, benchmarks).",
        subcommands = {VmmBoot.class})
public final class VmmCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
