package dev.paddock.cli.rig;

import dev.paddock.hypervisor.linux.AcceleratorProbe;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code paddock rig probe}: hypervisor-bridge's AcceleratorProbe decision, the word (native, emulated,
 * unavailable) on stdout for scripts such as dev/test, and the reason on stderr.
 */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = {"Print how this host runs guests: native, emulated or unavailable (reason on stderr).",
                "The answer is cached per boot; --fresh probes again."})
final class RigProbe implements Callable<Integer> {
    @Option(names = "--fresh", description = "Ignore the per-boot cache and probe now.")
    boolean fresh;

    @Override
    public Integer call() {
        AcceleratorProbe.Result r = fresh ? AcceleratorProbe.probeUncached() : AcceleratorProbe.probe();
        System.out.println(r.accelerator().word());
        System.err.println(r.reason());
        return 0;
    }
}
