package dev.paddock.cli.rig;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Option;

/**
 * {@code paddock rig}: the helper VM of the "emulated" accelerator (docs/accelerators.md). Until the daemon runs
 * inside it, {@code rig exec} is how tests and benchmarks that boot guests run on hosts without a usable /dev/kvm.
 */
@Command(name = "rig", mixinStandardHelpOptions = true,
        description = "Manage the helper VM that provides nested KVM where /dev/kvm cannot run guest kernels.",
        subcommands = {RigCommand.Start.class, RigCommand.Stop.class, RigCommand.Status.class,
                RigCommand.Exec.class, RigProbe.class})
public final class RigCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Runs body, turning a RigException into its message on stderr and status 1. */
    static int guarded(Callable<Integer> body) throws Exception {
        try {
            return body.call();
        } catch (RigException e) {
            System.err.println("paddock rig: " + e.getMessage());
            return 1;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Boot the helper VM (building its image if needed), or reuse the running one.")
    static final class Start implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            return guarded(() -> {
                HelperVm vm = HelperVm.fromEnvironment(System.err);
                HelperVm.Running r = vm.start();
                System.out.printf("helper VM running: QEMU pid %d, agent on 127.0.0.1:%d%n", r.pid(), r.port());
                return 0;
            });
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Shut the helper VM down cleanly through its agent; kill QEMU if it does not power off in time.")
    static final class Stop implements Callable<Integer> {
        @Option(names = "--timeout", defaultValue = "30", description = "Seconds to wait for a clean power-off (default ${DEFAULT-VALUE}).")
        long timeoutSeconds;

        @Override
        public Integer call() throws Exception {
            return guarded(() -> {
                HelperVm vm = HelperVm.fromEnvironment(System.err);
                boolean was = vm.stop(Duration.ofSeconds(timeoutSeconds));
                System.out.println(was ? "helper VM stopped" : "helper VM was not running");
                return 0;
            });
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Say whether the helper VM runs, and where its files are. Exit status 3 when it does not run.")
    static final class Status implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            return guarded(() -> {
                HelperVm vm = HelperVm.fromEnvironment(System.err);
                RigPaths p = vm.paths();
                Optional<HelperVm.Running> r = vm.running();
                if (r.isPresent()) {
                    boolean answers = vm.agent(r.get()).ping(Duration.ofSeconds(5));
                    System.out.printf("helper VM: running, QEMU pid %d, agent on 127.0.0.1:%d %s%n", r.get().pid(),
                            r.get().port(), answers ? "(answering)" : "(NOT answering: the agent died or the VM hung)");
                    printIfPresent("size", p.sizing());
                    printIfPresent("boot took (s)", p.bootSeconds());
                } else if (vm.stoppedUnexpectedly()) {
                    System.out.println("helper VM: stopped unexpectedly (no 'rig stop'); its console ended with:");
                    System.out.println(ConsoleLog.tail(p.consoleLog(), 15));
                } else {
                    System.out.println("helper VM: not running");
                }
                System.out.println("state directory: " + p.dir());
                System.out.println("console log: " + p.consoleLog());
                return r.isPresent() ? 0 : 3;
            });
        }

        private static void printIfPresent(String label, Path file) throws java.io.IOException {
            if (Files.exists(file)) System.out.println(label + ": " + Files.readString(file).trim());
        }
    }

    @Command(name = "exec", mixinStandardHelpOptions = true,
            description = {"Run a command inside the helper VM in the current directory, starting the VM if needed.",
                    "stdin, stdout and stderr are forwarded byte for byte; the exit status is the command's."})
    static final class Exec implements Callable<Integer> {
        @Parameters(arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (put -- before it).")
        List<String> command;

        @Override
        public Integer call() throws Exception {
            return guarded(() -> {
                HelperVm vm = HelperVm.fromEnvironment(System.err);
                Path cwd = Paths.get(System.getProperty("user.dir")).toAbsolutePath();
                return vm.exec(cwd, command);
            });
        }
    }
}
