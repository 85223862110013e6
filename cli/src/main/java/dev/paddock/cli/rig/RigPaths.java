package dev.paddock.cli.rig;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * Where the helper VM keeps its files: {@code ${PADDOCK_STATE:-$HOME/.paddock}/helper-vm/}. The image files
 * (vmlinuz, initramfs, rig-agent) come from guest/helper-vm/build.sh; the rest describe the running VM.
 */
public record RigPaths(Path stateDir) {

    public static RigPaths fromEnvironment(Map<String, String> env) {
        String state = env.get("PADDOCK_STATE");
        if (state == null || state.isBlank()) {
            state = Paths.get(System.getProperty("user.home"), ".paddock").toString();
        }
        return new RigPaths(Paths.get(state).toAbsolutePath().normalize());
    }

    public Path dir() { return stateDir.resolve("helper-vm"); }
    public Path kernel() { return dir().resolve("vmlinuz"); }
    public Path initramfs() { return dir().resolve("initramfs.cpio.gz"); }
    public Path agent() { return dir().resolve("rig-agent"); }
    /** The shared secret a client presents first; renewed at every boot, readable only by the owner. */
    public Path token() { return dir().resolve("token"); }
    /** The host loopback port forwarded to the agent; present while the VM runs. */
    public Path port() { return dir().resolve("port"); }
    /** The loopback port QEMU forwards to the daemon's API inside L1 (the emulated daemon, docs/accelerators.md). */
    public Path apiPort() { return dir().resolve("api-port"); }
    /** QEMU's pid; present while the VM runs. Its presence with no live QEMU means the VM stopped unexpectedly. */
    public Path pid() { return dir().resolve("qemu.pid"); }
    public Path consoleLog() { return dir().resolve("console.log"); }
    public Path previousConsoleLog() { return dir().resolve("console.log.previous"); }
    public Path qemuLog() { return dir().resolve("qemu.log"); }
    /**
     * The emulated daemon's own disk: a sparse ext4 image that L1 mounts at {@link #daemonStateMount()}, so the
     * daemon inside L1 keeps its sandboxes (records, state disks) across helper-VM restarts on a real file system,
     * where its unix sockets work (they do not on the 9p share).
     */
    public Path daemonDisk() { return dir().resolve("daemon-state.ext4"); }
    /** Where L1 mounts {@link #daemonDisk()}: the same absolute path inside L1 (empty on the host). */
    public Path daemonStateMount() { return dir().resolve("daemon-state"); }
    /** QEMU's human monitor, for diagnosing a hung helper VM (e.g. {@code info registers -a}). */
    public Path monitor() { return dir().resolve("monitor.sock"); }
    public Path lock() { return dir().resolve("rig.lock"); }
    /** Seconds the last boot took, for CI to report what the helper VM costs. */
    public Path bootSeconds() { return dir().resolve("boot-seconds"); }
    /** The memory and CPUs the running VM got, for {@code rig status}. */
    public Path sizing() { return dir().resolve("sizing"); }
}
