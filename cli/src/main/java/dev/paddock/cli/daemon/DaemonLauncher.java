package dev.paddock.cli.daemon;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.api.DaemonUnreachableException;
import dev.paddock.cli.api.PaddockState;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Starts the daemon in the background when none answers: {@code java -cp <this jar> <daemon main> --state DIR} in
 * its own session (so the terminal's Ctrl-C does not reach it), output appended to {@code daemon.log}, then waits
 * for its socket to answer, reporting progress on stderr.
 *
 * <p>The CLI jar carries the daemon's classes (cli's pom has {@code paddock-verticles} at runtime scope), but no
 * CLI class refers to them: the daemon is named here only as a class name string, and reached only over its API.
 */
public final class DaemonLauncher {
    /** The daemon's entry point, in the verticles module (docs/api.md). */
    public static final String DAEMON_MAIN = "dev.paddock.daemon.DaemonMain";
    /** How long a started daemon may take to answer on its socket (4 s here when idle; far more on a loaded host). */
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final PaddockState state;
    private final List<String> javaArgs;
    private final PrintStream progress;
    private final Path workingDir;
    private final List<String> daemonArgs;
    private final Runnable prepare;

    /**
     * @param javaArgs the java arguments that name the daemon: {@code [JVM options] -cp CLASSPATH MAIN_CLASS} (the
     *                         default is this JVM's own class path and {@link #DAEMON_MAIN})
     */
    public DaemonLauncher(PaddockState state, List<String> javaArgs, PrintStream progress, Path workingDir) {
        this(state, javaArgs, progress, workingDir, List.of());
    }

    /** @param daemonArgs more DaemonMain arguments after {@code --state DIR} (PADDOCK_DAEMON_ARGS, e.g. --driver loopback) */
    public DaemonLauncher(PaddockState state, List<String> javaArgs, PrintStream progress, Path workingDir,
                          List<String> daemonArgs) {
        this(state, javaArgs, progress, workingDir, daemonArgs, () -> { });
    }

    private DaemonLauncher(PaddockState state, List<String> javaArgs, PrintStream progress, Path workingDir,
                           List<String> daemonArgs, Runnable prepare) {
        this.prepare = prepare;
        this.daemonArgs = List.copyOf(daemonArgs);
        this.state = state;
        this.javaArgs = List.copyOf(javaArgs);
        this.progress = progress;
        this.workingDir = workingDir;
    }

    /**
     * A launcher for the daemon in this JVM's class path: the shaded paddock.jar, or the test class path. It runs in
     * workingDir: the checkout ($PADDOCK_HOME, set by ./paddock), where the loopback driver finds the guest agent
     * binary (guest/agent/target/paddock-agent) unless PADDOCK_AGENT_BINARY names it.
     */
    public static DaemonLauncher forThisJar(PaddockState state, PrintStream progress, Path workingDir, List<String> daemonArgs) {
        // Absolute entries: the daemon runs in the state directory, where a relative class path means nothing.
        String classpath = java.util.Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(e -> Path.of(e).toAbsolutePath().toString())
                .collect(java.util.stream.Collectors.joining(File.pathSeparator));
        return new DaemonLauncher(state, List.of("-cp", classpath, DAEMON_MAIN), progress, workingDir, daemonArgs);
    }

    /**
     * The same launcher, running {@code prepare} before it starts a daemon: under the start lock, once no daemon
     * answers (so a running daemon never waits for it). The CLI builds the sandbox image there.
     */
    public DaemonLauncher preparing(Runnable prepare) {
        return new DaemonLauncher(state, javaArgs, progress, workingDir, daemonArgs, prepare);
    }

    /** The DaemonMain arguments after {@code --state DIR}. */
    public List<String> daemonArgs() {
        return daemonArgs;
    }

    /** The full command line of the daemon process. */
    List<String> argv() {
        List<String> argv = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            // A session of its own: no controlling terminal, out of the shell's process group and job control.
            argv.add(setsid.toString());
        }
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(javaArgs);
        argv.add("--state");
        argv.add(state.dir().toString());
        argv.addAll(daemonArgs);
        return argv;
    }

    /**
     * Makes sure a daemon answers through the client, starting one if none does. Concurrent CLIs serialise on
     * {@code daemon.start.lock}; the second finds the first one's daemon answering and starts nothing.
     */
    public void ensureRunning(DaemonClient client, BooleanSupplier answers) {
        try {
            if (!Files.isDirectory(state.dir())) {
                // Owner-only, as the daemon requires of the directory that holds its socket and secrets.
                Files.createDirectories(state.dir(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new CliException(ExitCodes.DAEMON_UNREACHABLE, "cannot create the state directory " + state.dir()
                    + ": " + e.getMessage() + "; set PADDOCK_STATE to a writable directory", e);
        }
        try (FileChannel lockFile = FileChannel.open(state.startLock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = lockFile.lock()) {
            if (answers.getAsBoolean()) {
                return;
            }
            prepare.run();
            long logStart = Files.exists(state.log()) ? Files.size(state.log()) : 0;
            Process process = start();
            awaitAnswer(process, answers, logStart);
        } catch (IOException e) {
            throw new CliException(ExitCodes.DAEMON_UNREACHABLE, "cannot start the daemon in " + state.dir() + ": "
                    + e.getMessage() + "; see " + state.log(), e);
        }
    }

    private Process start() throws IOException {
        List<String> argv = argv();
        Files.writeString(state.log(), "\n--- paddock: starting the daemon: " + String.join(" ", argv) + "\n",
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        progress.println("paddock: starting the daemon in the background (log: " + state.log() + ")");
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(state.log().toFile()))
                .redirectErrorStream(true)
                .directory(workingDir.toFile());
        // The daemon must not inherit a TCP endpoint meant for the CLI.
        pb.environment().remove("PADDOCK_DAEMON");
        pb.environment().put("PADDOCK_STATE", state.dir().toString());
        return pb.start();
    }

    private void awaitAnswer(Process process, BooleanSupplier answers, long logStart) throws IOException {
        long start = System.nanoTime();
        long deadline = start + START_TIMEOUT.toNanos();
        long nextReport = start + Duration.ofSeconds(5).toNanos();
        while (true) {
            if (answers.getAsBoolean()) {
                long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
                progress.printf("paddock: daemon ready in %.1f s%n", ms / 1000.0);
                return;
            }
            if (!process.isAlive()) {
                throw new DaemonUnreachableException("the daemon exited with status " + process.exitValue()
                        + " before it answered on " + state.socket() + "; its log ends with:\n" + tail(state.log(), logStart, 15), null);
            }
            long now = System.nanoTime();
            if (now > deadline) {
                throw new DaemonUnreachableException("the daemon (pid " + process.pid() + ") did not answer on "
                        + state.socket() + " within " + START_TIMEOUT.toSeconds() + " s; see " + state.log()
                        + ", or stop it with: kill " + process.pid(), null);
            }
            if (now > nextReport) {
                progress.printf("paddock: still waiting for the daemon (%d s)…%n", Duration.ofNanos(now - start).toSeconds());
                nextReport = now + Duration.ofSeconds(5).toNanos();
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.DAEMON_UNREACHABLE, "interrupted while waiting for the daemon to start", e);
            }
        }
    }

    /** The last lines the log got since offset (this start's part of it). */
    static String tail(Path log, long offset, int lines) throws IOException {
        if (!Files.exists(log)) {
            return "(no log at " + log + ")";
        }
        byte[] bytes = Files.readAllBytes(log);
        String since = new String(bytes, (int) Math.min(offset, bytes.length), (int) Math.max(0, bytes.length - offset),
                java.nio.charset.StandardCharsets.UTF_8);
        List<String> all = since.lines().filter(l -> !l.isBlank()).toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
