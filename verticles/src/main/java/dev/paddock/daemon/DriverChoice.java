package dev.paddock.daemon;

import dev.paddock.hypervisor.Accelerator;
import dev.paddock.hypervisor.linux.AcceleratorProbe;
import java.util.List;

/**
 * Which {@code SandboxDriver} a daemon runs (docs/sandbox-driver.md, "Choosing the driver"):
 * <ul>
 *   <li>{@code --driver microvm|loopback} wins;</li>
 *   <li>otherwise the accelerator probe decides: {@code native} (a {@code /dev/kvm} that runs guest kernel code at
 *       hardware speed, which includes the inside of the helper VM) gives {@code microvm}; {@code emulated} or
 *       {@code unavailable} give {@code loopback}, and the daemon says so when it starts, since loopback
 *       sandboxes are not isolated. On an emulated host the daemon that boots microVMs is the one that runs inside
 *       the helper VM.</li>
 * </ul>
 */
public final class DriverChoice {
    public static final String MICROVM = "microvm";
    public static final String LOOPBACK = "loopback";
    public static final List<String> NAMES = List.of(MICROVM, LOOPBACK);

    /** The decision and why, in one line. */
    public record Decision(String driver, String reason) { }

    private DriverChoice() { }

    /** Blocking: may run the probe (a short KVM guest loop; cached per boot). */
    public static Decision decide(String requested) {
        if (requested != null) {
            return new Decision(requested, "--driver " + requested);
        }
        AcceleratorProbe.Result probe = AcceleratorProbe.probe();
        return decide(probe.accelerator(), probe.reason());
    }

    static Decision decide(Accelerator accelerator, String probeReason) {
        if (accelerator == Accelerator.NATIVE) {
            return new Decision(MICROVM, "the accelerator probe says native (" + probeReason + ")");
        }
        return new Decision(LOOPBACK, "the accelerator probe says " + accelerator.word() + " (" + probeReason
                + "), so sandboxes run on the loopback driver, WITHOUT a VM and without isolation; run the daemon"
                + " inside the helper VM for microVMs, or pass --driver microvm on a host with a native /dev/kvm");
    }
}
