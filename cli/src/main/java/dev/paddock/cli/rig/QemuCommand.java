package dev.paddock.cli.rig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The QEMU command line of the helper VM (L1): multi-threaded TCG with {@code -cpu max}, which offers SVM, so L1's kvm-amd
 * gives it a /dev/kvm (../shared/RIG.md). The host root is shared read-only (9p tag {@code host}); each
 * writable share gets tag {@code rwN} and is mounted by /init at the same absolute path over the root.
 * The agent's port and the daemon API's port are forwarded to the host's loopback only.
 *
 * <p>QEMU daemonizes ({@code -daemonize -pidfile}) so the VM outlives the command that started it and sits in
 * its own session, away from the terminal's Ctrl-C. That rules out {@code -nographic}, so the console goes
 * to a file with {@code -display none -serial file:}. QEMU's human monitor listens on a unix socket in the state
 * directory ({@link RigPaths#monitor()}), so a hung L1 can be examined ({@code info registers -a}).
 */
public record QemuCommand(String qemu, long memoryMiB, int cpus, int port, int apiPort, RigPaths paths,
        List<Path> writableShares, HostCache hostCache) {

    /**
     * How L1 caches the read-only host root. {@code LOOSE} keeps file data and metadata in L1's page cache: a
     * JVM starts about 3-4 times faster (docs/accelerators.md), but a host file that changes while the VM runs
     * may read stale inside. The writable shares (the state directory, the working tree, ~/.m2) are never
     * cached, so build outputs stay coherent both ways.
     */
    public enum HostCache { LOOSE, NONE }

    /** Paths go on the kernel cmdline (split at spaces) and into -fsdev (split at commas). */
    private static final Pattern SAFE_PATH = Pattern.compile("/[A-Za-z0-9._/@+=:-]*");

    public QemuCommand {
        for (Path p : writableShares) {
            if (!SAFE_PATH.matcher(p.toString()).matches()) {
                throw new RigException("cannot share " + p + " with the helper VM: its path must be absolute and "
                        + "consist of letters, digits and ._/@+=:- only (it goes on the kernel command line)");
            }
        }
        // A share inside another must be mounted after it; mount order is list order.
        writableShares = writableShares.stream().distinct().sorted(Comparator.comparingInt(p -> p.getNameCount())).toList();
    }

    public List<String> argv() {
        List<String> a = new ArrayList<>(List.of(qemu,
                "-M", "q35", "-accel", tcgAccel(), "-cpu", "max",
                "-smp", Integer.toString(cpus), "-m", Long.toString(memoryMiB),
                "-display", "none", "-no-reboot",
                "-monitor", "unix:" + paths.monitor() + ",server=on,wait=off",
                "-serial", "file:" + paths.consoleLog(),
                "-daemonize", "-pidfile", paths.pid().toString(),
                "-kernel", paths.kernel().toString(),
                "-initrd", paths.initramfs().toString(),
                "-append", cmdline(),
                "-fsdev", "local,id=host,path=/,security_model=none,readonly=on,multidevs=remap",
                "-device", "virtio-9p-pci,fsdev=host,mount_tag=host"));
        for (int i = 0; i < writableShares.size(); i++) {
            a.add("-fsdev");
            a.add("local,id=rw" + i + ",path=" + writableShares.get(i) + ",security_model=none,multidevs=remap");
            a.add("-device");
            a.add("virtio-9p-pci,fsdev=rw" + i + ",mount_tag=rw" + i);
        }
        // The emulated daemon's state disk (RigPaths.daemonDisk), mounted by /init at paddock_dstate.
        a.add("-drive");
        a.add("id=dstate,file=" + paths.daemonDisk() + ",if=none,format=raw,cache=writeback");
        a.add("-device");
        a.add("virtio-blk-pci,drive=dstate");
        a.add("-netdev");
        // The rig agent's port, and the port of the Paddock daemon's API when it runs inside L1; both on the
        // host's loopback only.
        a.add("user,id=net0,hostfwd=tcp:127.0.0.1:" + port + "-:" + port
                + ",hostfwd=tcp:127.0.0.1:" + apiPort + "-:" + apiPort);
        a.add("-device");
        a.add("virtio-net-pci,netdev=net0");
        return a;
    }

    /**
     * The -accel value: multi-threaded TCG (one host thread per L1 vCPU). Single-threaded TCG
     * ({@code PADDOCK_RIG_TCG_THREAD=single}, for experiments) avoided the L1 hang but stalls L2 Linux boots
     * (an RCU stall right after "PCI: Fatal: No config space access function found"), so it is not the default
     * (docs/accelerators.md, Known problems).
     */
    static String tcgAccel() {
        String t = System.getenv("PADDOCK_RIG_TCG_THREAD");
        if (t == null || t.isBlank() || t.equals("multi")) {
            return "tcg,thread=multi";
        }
        if (t.equals("single")) {
            return "tcg,thread=single";
        }
        throw new RigException("PADDOCK_RIG_TCG_THREAD=\"" + t + "\": use multi (the default) or single");
    }

    /** Read by guest/helper-vm/init from /proc/cmdline. */
    public String cmdline() {
        StringBuilder rw = new StringBuilder();
        for (Path p : writableShares) {
            if (rw.length() > 0) rw.append(',');
            rw.append(p);
        }
        return "console=ttyS0 panic=-1 quiet"
                + " paddock_port=" + port
                + " paddock_rw=" + rw
                + " paddock_agent=" + paths.agent()
                + " paddock_token=" + paths.token()
                + " paddock_dstate=" + paths.daemonStateMount()
                + (hostCache == HostCache.LOOSE ? " paddock_hostopts=cache=loose" : "");
    }
}
