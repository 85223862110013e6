package dev.paddock.cli.rig;

import dev.paddock.hypervisor.linux.HelperVmGuest;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The helper VM (L1) of the "emulated" accelerator: QEMU TCG offering nested KVM, with the host root shared
 * read-only and the state directory and the working tree read-write, running rig-agent (docs/accelerators.md).
 * One per state directory, reused across commands; a lock file keeps concurrent starts from booting two.
 */
public final class HelperVm {
    static final String FATAL_MARKER = "paddock-rig: FATAL";

    private final RigPaths paths;
    private final Map<String, String> env;
    private final PrintStream progress;
    private final Runnable imageBuilder;
    private final BooleanSupplier insideHelperVm;

    public HelperVm(RigPaths paths, Map<String, String> env, PrintStream progress) {
        this.paths = paths;
        this.env = env;
        this.progress = progress;
        this.imageBuilder = this::buildImage;
        this.insideHelperVm = HelperVmGuest::inside;
    }

    /** With another image builder, for tests that supply the boot files themselves. */
    HelperVm(RigPaths paths, Map<String, String> env, PrintStream progress, Runnable imageBuilder) {
        this(paths, env, progress, imageBuilder, HelperVmGuest::inside);
    }

    /** And with another answer to "is this the helper VM itself?", for tests. */
    HelperVm(RigPaths paths, Map<String, String> env, PrintStream progress, Runnable imageBuilder,
             BooleanSupplier insideHelperVm) {
        this.paths = paths;
        this.env = env;
        this.progress = progress;
        this.imageBuilder = imageBuilder;
        this.insideHelperVm = insideHelperVm;
    }

    public static HelperVm fromEnvironment(PrintStream progress) {
        return new HelperVm(RigPaths.fromEnvironment(System.getenv()), System.getenv(), progress);
    }

    public RigPaths paths() {
        return paths;
    }

    /** The running VM's QEMU pid and forwarded port, if one is running. */
    public record Running(long pid, int port) {}

    /**
     * The loopback port that QEMU forwards to the same port inside the running helper VM, for the Paddock daemon's
     * API there (it listens on that port in L1 with {@code --tcp 0.0.0.0:PORT}).
     */
    public Optional<Integer> forwardedApiPort() {
        return running().flatMap(r -> readLong(paths.apiPort())).map(Long::intValue);
    }

    public Optional<Running> running() {
        Optional<Long> pid = readLong(paths.pid());
        Optional<Long> port = readLong(paths.port());
        if (pid.isEmpty() || port.isEmpty() || !isQemu(pid.get())) return Optional.empty();
        return Optional.of(new Running(pid.get(), port.get().intValue()));
    }

    /** True when the pid file names a QEMU that is gone: the VM stopped without {@code rig stop}. */
    public boolean stoppedUnexpectedly() {
        Optional<Long> pid = readLong(paths.pid());
        return pid.isPresent() && !isQemu(pid.get());
    }

    /**
     * Refuses, before any state file is read or written, when this process runs inside the helper VM itself: L1
     * shares the host's state directory read-write, and its own process table does not hold the host's QEMU, so a
     * rig command there would take the host's VM for a dead one, delete its pid and port files (orphaning it) and
     * try to nest another QEMU on the 9p share.
     */
    private void refuseInsideHelperVm(String what) {
        if (insideHelperVm.getAsBoolean()) {
            throw new RigException("cannot " + what + " the helper VM from inside it (this kernel's command line is the"
                    + " helper VM's): its state directory " + paths.dir() + " belongs to the host, whose QEMU this VM cannot"
                    + " see. Run 'paddock rig' on the host. Inside the helper VM, /dev/kvm runs guests directly; if the"
                    + " accelerator probe said otherwise here, 'paddock rig probe --fresh' says why");
        }
    }

    /** Starts the helper VM unless one is running, and waits until its agent answers. */
    public Running start() {
        refuseInsideHelperVm("start");
        try {
            Files.createDirectories(paths.dir());
        } catch (IOException e) {
            throw new RigException("cannot create the state directory " + paths.dir() + ": " + e.getMessage(), e);
        }
        try (FileChannel ch = FileChannel.open(paths.lock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = ch.lock()) {
            Optional<Running> r = running();
            if (r.isPresent()) {
                if (agent(r.get()).ping(Duration.ofSeconds(10))) return r.get();
                throw agentNotAnswering(r.get());
            }
            try {
                return boot();
            } catch (QemuVanished e) {
                // QEMU 7.2 has been seen to segfault at start (once in a CI run; the next start was fine): one more
                // try, said out loud. Any other boot failure is reported at once.
                progress.println("paddock rig: " + e.getMessage() + "; starting it once more");
                return boot();
            }
        } catch (IOException e) {
            throw new RigException("cannot lock " + paths.lock() + ": " + e.getMessage(), e);
        }
    }

    /** The running VM whose agent answers, starting one when none runs. */
    public Running ensureRunning() {
        refuseInsideHelperVm("use");
        Optional<Running> r = running();
        if (r.isPresent()) {
            if (agent(r.get()).ping(Duration.ofSeconds(10))) return r.get();
            throw agentNotAnswering(r.get());
        }
        return start();
    }

    private RigException agentNotAnswering(Running r) {
        return new RigException("the helper VM (QEMU pid " + r.pid() + ") is running but its agent does not answer on "
                + "127.0.0.1:" + r.port() + " (the agent died or the VM hung). Its console log is "
                + paths.consoleLog() + ", ending with:\n" + ConsoleLog.tail(paths.consoleLog(), 15)
                + "\nRun 'paddock rig stop' and retry.");
    }

    /**
     * L1's vCPU count: one unless {@code PADDOCK_RIG_CPUS} asks for more (at most the host's CPUs). With two vCPUs
     * under QEMU 7.2's multi-threaded TCG, L1 hung or died in about a third of full test runs: a vCPU kept seeing
     * code that another vCPU had already patched (the kernel's int3 text patching as KVM flips its static keys; a
     * JVM's JIT patching its own code, seen as SIGSEGV SI_KERNEL). With one vCPU no other vCPU can see stale
     * code, and no L1 hang has been seen since (docs/accelerators.md, Known problems). L2 guests with two vCPUs
     * still boot on it, more slowly.
     */
    static int cpus(Long requested, int hostCpus) {
        if (requested == null) {
            return 1;
        }
        if (requested < 1 || requested > hostCpus) {
            throw new RigException("PADDOCK_RIG_CPUS=" + requested + ": give 1 to " + hostCpus + " (this host's CPUs);"
                    + " 1, the default, is the setting that does not hang under multi-threaded TCG");
        }
        return requested.intValue();
    }

    private Running boot() throws IOException {
        long t0 = System.nanoTime();
        if (stoppedUnexpectedly()) {
            progress.println("paddock rig: the previous helper VM stopped without 'rig stop'; its console ended with:\n"
                    + ConsoleLog.tail(paths.consoleLog(), 10));
        }
        String qemu = findQemu();
        long memory = HostMemory.helperVmMiB(HostMemory.availableKiB(Paths.get("/proc/meminfo")),
                envLong("PADDOCK_RIG_MEMORY_MB"));
        int cpus = cpus(envLong("PADDOCK_RIG_CPUS"), Runtime.getRuntime().availableProcessors());
        imageBuilder.run();

        Files.deleteIfExists(paths.port());
        Files.deleteIfExists(paths.pid());
        if (Files.exists(paths.consoleLog())) {
            Files.move(paths.consoleLog(), paths.previousConsoleLog(), StandardCopyOption.REPLACE_EXISTING);
        }
        writeToken();
        ensureDaemonDisk();
        Files.deleteIfExists(paths.apiPort());
        int port = FreePort.pick();
        int apiPort = FreePort.pick();
        while (apiPort == port) {
            apiPort = FreePort.pick();
        }
        QemuCommand cmd = new QemuCommand(qemu, memory, cpus, port, apiPort, paths, writableShares(), hostCache());
        progress.printf("paddock rig: booting the helper VM (%d MiB, %d CPUs, agent on 127.0.0.1:%d)%n", memory, cpus, port);
        Process p = new ProcessBuilder(cmd.argv())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .redirectOutput(paths.qemuLog().toFile())
                .start();
        int rc;
        try {
            rc = p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RigException("interrupted while QEMU was starting");
        }
        if (rc != 0) {
            throw new RigException("QEMU could not start the helper VM (exit status " + rc + "):\n"
                    + ConsoleLog.tail(paths.qemuLog(), 15) + "\nCommand: " + String.join(" ", cmd.argv()));
        }
        long pid = readLong(paths.pid()).orElseThrow(() ->
                new RigException("QEMU started but wrote no pid file at " + paths.pid()));
        Running r = new Running(pid, port);
        waitForAgent(r, t0);
        Files.writeString(paths.port(), port + "\n");
        Files.writeString(paths.apiPort(), apiPort + "\n");
        double seconds = (System.nanoTime() - t0) / 1e9;
        Files.writeString(paths.bootSeconds(), String.format("%.1f%n", seconds));
        Files.writeString(paths.sizing(), memory + " MiB, " + cpus + " CPUs\n");
        progress.printf("paddock rig: helper VM ready in %.1f s (QEMU pid %d)%n", seconds, pid);
        return r;
    }

    /** QEMU exited before L1 printed anything: a crash of QEMU itself, not of the helper VM's boot. */
    static final class QemuVanished extends RigException {
        private static final long serialVersionUID = 1L;

        QemuVanished(String message) {
            super(message);
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private void waitForAgent(Running r, long t0) {
        long timeoutS = Optional.ofNullable(envLong("PADDOCK_RIG_BOOT_TIMEOUT")).orElse(180L);
        long deadline = t0 + timeoutS * 1_000_000_000L;
        RigAgentClient agent = agent(r);
        while (true) {
            if (!isQemu(r.pid())) {
                if (sizeOf(paths.consoleLog()) == 0) {
                    throw new QemuVanished("the helper VM failed to boot: QEMU (pid " + r.pid() + ") exited before L1"
                            + " printed anything (QEMU itself crashed: see " + paths.qemuLog() + " and the host's kernel"
                            + " log, e.g. 'segfault ... in qemu-system-x86_64')");
                }
                throw new RigException("the helper VM failed to boot: QEMU (pid " + r.pid() + ") exited. "
                        + "Console log " + paths.consoleLog() + " ends with:\n" + ConsoleLog.tail(paths.consoleLog(), 25));
            }
            if (ConsoleLog.contains(paths.consoleLog(), FATAL_MARKER)) {
                stopQemu(r.pid());
                throw new RigException("the helper VM failed to boot. Console log " + paths.consoleLog()
                        + " ends with:\n" + ConsoleLog.tail(paths.consoleLog(), 25));
            }
            if (agent.ping(Duration.ofSeconds(3))) return;
            if (System.nanoTime() > deadline) {
                stopQemu(r.pid());
                throw new RigException("the helper VM failed to boot within " + timeoutS + " s (PADDOCK_RIG_BOOT_TIMEOUT). "
                        + "Console log " + paths.consoleLog() + " ends with:\n" + ConsoleLog.tail(paths.consoleLog(), 25));
            }
            sleep(250);
        }
    }

    /** Shuts the VM down through its agent; kills QEMU if it has not exited within the timeout. */
    public boolean stop(Duration timeout) {
        refuseInsideHelperVm("stop");
        try {
            Files.createDirectories(paths.dir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (FileChannel ch = FileChannel.open(paths.lock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = ch.lock()) {
            Optional<Long> pid = readLong(paths.pid());
            if (pid.isEmpty() || !isQemu(pid.get())) {
                Files.deleteIfExists(paths.pid());
                Files.deleteIfExists(paths.port());
                Files.deleteIfExists(paths.apiPort());
                return false;
            }
            Optional<Long> port = readLong(paths.port());
            boolean asked = false;
            if (port.isPresent()) {
                try {
                    agent(new Running(pid.get(), port.get().intValue())).shutdown(Duration.ofSeconds(5));
                    asked = true;
                } catch (IOException e) {
                    progress.println("paddock rig: the agent did not take the shutdown request (" + e.getMessage()
                            + "); stopping QEMU");
                }
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (asked && isQemu(pid.get()) && System.nanoTime() < deadline) sleep(100);
            if (isQemu(pid.get())) {
                if (asked) progress.println("paddock rig: the helper VM did not power off within " + timeout.toSeconds() + " s; stopping QEMU");
                stopQemu(pid.get());
            }
            Files.deleteIfExists(paths.pid());
            Files.deleteIfExists(paths.port());
            Files.deleteIfExists(paths.apiPort());
            return true;
        } catch (IOException e) {
            throw new RigException("cannot stop the helper VM: " + e.getMessage(), e);
        }
    }

    /** Runs argv inside the helper VM in cwd through the C client, with this process's stdio; returns its status. */
    public int exec(Path cwd, List<String> argv) {
        Running r = ensureRunning();
        List<String> cmd = new ArrayList<>(List.of(paths.agent().toString(), "exec",
                "--port", Integer.toString(r.port()), "--token-file", paths.token().toString(),
                "--cwd", cwd.toString(), "--"));
        cmd.addAll(argv);
        try {
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            // Ctrl-C reaches the client too, which forwards it to the command and waits for its exit status;
            // the JVM must not return to the shell before the client has written the command's last output.
            Thread waitForClient = new Thread(() -> {
                try {
                    p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Runtime.getRuntime().addShutdownHook(waitForClient);
            int status = p.waitFor();
            try {
                Runtime.getRuntime().removeShutdownHook(waitForClient);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already exiting (a signal); the hook then runs and waits, as intended.
            }
            return status;
        } catch (IOException e) {
            throw new RigException("cannot run the rig-agent client " + paths.agent() + ": " + e.getMessage()
                    + ". Rebuild it with 'paddock rig stop && paddock rig start'.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    /** Disk size of the emulated daemon's state disk: sparse, so only what the sandboxes write takes space. */
    static final String DAEMON_DISK_SIZE = "64G";

    /** Creates the emulated daemon's sparse ext4 state disk (and its mount point) the first time. */
    private void ensureDaemonDisk() throws IOException {
        Files.createDirectories(paths.daemonStateMount());
        if (Files.exists(paths.daemonDisk())) {
            return;
        }
        Path tmp = paths.daemonDisk().resolveSibling(paths.daemonDisk().getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Process p = new ProcessBuilder("mke2fs", "-q", "-F", "-t", "ext4", "-L", "paddock-daemon", "-E", "root_owner=0:0",
                tmp.toString(), DAEMON_DISK_SIZE).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc;
        try {
            rc = p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RigException("interrupted while creating " + paths.daemonDisk());
        }
        if (rc != 0) {
            throw new RigException("cannot create the emulated daemon's state disk " + paths.daemonDisk()
                    + " with mke2fs (exit status " + rc + "): " + out.strip() + " (Debian package e2fsprogs)");
        }
        Files.move(tmp, paths.daemonDisk(), StandardCopyOption.ATOMIC_MOVE);
    }

    RigAgentClient agent(Running r) {
        String token;
        try {
            token = Files.readString(paths.token()).trim();
        } catch (IOException e) {
            throw new RigException("cannot read the helper VM's token " + paths.token() + ": " + e.getMessage(), e);
        }
        return new RigAgentClient(r.port(), token);
    }

    /**
     * Shared read-write at their own paths: the state directory, the repository working tree (PADDOCK_HOME),
     * ~/.m2, and the directories in PADDOCK_RIG_SHARES (colon-separated).
     */
    List<Path> writableShares() {
        List<Path> shares = new ArrayList<>();
        shares.add(paths.stateDir());
        String home = env.get("PADDOCK_HOME");
        if (home != null && !home.isBlank()) shares.add(Paths.get(home).toAbsolutePath().normalize());
        // Maven's local repository changes under a running VM (mvn install), so it must not be served from L1's cache.
        String userHome = env.get("HOME");
        if (userHome != null && Files.isDirectory(Paths.get(userHome, ".m2"))) shares.add(Paths.get(userHome, ".m2"));
        String extra = env.get("PADDOCK_RIG_SHARES");
        if (extra != null) {
            for (String s : extra.split(":")) if (!s.isBlank()) shares.add(Paths.get(s).toAbsolutePath().normalize());
        }
        for (Path s : shares) {
            if (!Files.isDirectory(s)) throw new RigException("cannot share " + s + " with the helper VM: not a directory");
        }
        return shares;
    }

    QemuCommand.HostCache hostCache() {
        String v = env.getOrDefault("PADDOCK_RIG_HOST_CACHE", "loose").trim().toUpperCase(java.util.Locale.ROOT);
        try {
            return QemuCommand.HostCache.valueOf(v);
        } catch (IllegalArgumentException e) {
            throw new RigException("PADDOCK_RIG_HOST_CACHE must be loose or none, not '" + v.toLowerCase(java.util.Locale.ROOT) + "'");
        }
    }

    String findQemu() {
        String path = env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path q = Paths.get(dir, "qemu-system-x86_64");
            if (Files.isExecutable(q)) return q.toString();
        }
        throw new RigException("QEMU is missing: the emulated accelerator needs qemu-system-x86_64 on the PATH. "
                + "Install it with: apt-get install qemu-system-x86");
    }

    private void buildImage() {
        try {
            dev.paddock.cli.build.BuildScript.inCheckout(env, "guest/helper-vm/build.sh", paths.stateDir(),
                    "the helper VM image").run("the helper VM image", progress);
        } catch (dev.paddock.cli.build.BuildScriptException e) {
            throw new RigException(e.getMessage(), e);
        }
    }

    private void writeToken() throws IOException {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        Path tmp = paths.dir().resolve("token.tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, HexFormat.of().formatHex(secret) + "\n");
        Files.move(tmp, paths.token(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void stopQemu(long pid) {
        ProcessHandle.of(pid).ifPresent(h -> {
            h.destroy();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (h.isAlive() && System.nanoTime() < deadline) sleep(100);
            if (h.isAlive()) h.destroyForcibly();
        });
    }

    /** The pid is alive and is a QEMU (pid files outlive reboots; pids get reused). */
    static boolean isQemu(long pid) {
        try {
            byte[] cmdline = Files.readAllBytes(Paths.get("/proc", Long.toString(pid), "cmdline"));
            String argv0 = new String(cmdline, StandardCharsets.UTF_8).split("\0", 2)[0];
            return argv0.contains("qemu-system") && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<Long> readLong(Path p) {
        try {
            return Optional.of(Long.parseLong(Files.readString(p).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private Long envLong(String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return null;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new RigException(name + " must be a whole number, not '" + v + "'");
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RigException("interrupted");
        }
    }
}
