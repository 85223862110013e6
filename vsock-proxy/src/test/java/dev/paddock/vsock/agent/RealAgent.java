package dev.paddock.vsock.agent;

import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real guest agent ({@code guest/agent/target/paddock-agent}) as a host process in loopback mode
 * ({@code --listen unix:PATH}), built with its own Makefile. A build that fails is a test failure with make's
 * output, never a skip.
 *
 * <p>The agent's source directory is {@code guest/agent} of the repository these tests run in; the system property
 * {@code paddock.agent.dir} points elsewhere (another checkout of the agent).
 */
public final class RealAgent implements AutoCloseable {
    private static final long BUILD_TIMEOUT_S = 300;
    private static final long START_TIMEOUT_MS = 5_000;

    private final Process process;
    private final Path socket;
    private final Path log;

    private RealAgent(Process process, Path socket, Path log) {
        this.process = process;
        this.socket = socket;
        this.log = log;
    }

    /** Runs {@code make -C guest/agent} and returns the agent binary. */
    public static Path build() throws IOException, InterruptedException {
        Path dir = agentDir();
        Path out = Files.createTempFile("paddock-agent-make", ".log");
        Process make = new ProcessBuilder("make", "-C", dir.toString()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!make.waitFor(BUILD_TIMEOUT_S, TimeUnit.SECONDS)) {
            make.destroyForcibly();
            throw new AssertionError("make -C " + dir + " ran over " + BUILD_TIMEOUT_S + " s; output:\n"
                    + Files.readString(out));
        }
        Path binary = dir.resolve("target/paddock-agent");
        if (make.exitValue() != 0 || !Files.isExecutable(binary)) {
            throw new AssertionError("could not build the guest agent with make -C " + dir + " (exit "
                    + make.exitValue() + "); it needs gcc, make and musl-gcc (apt-get install build-essential "
                    + "musl-tools). make said:\n" + Files.readString(out));
        }
        return binary;
    }

    public static RealAgent start(Path binary) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("paddock-agent-it");
        Path socket = dir.resolve("agent.sock");
        Path log = dir.resolve("agent.log");
        Process process = new ProcessBuilder(List.of(binary.toString(), "--listen", "unix:" + socket))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        // The socket file appears at bind(2), before listen(2): wait until a connection is accepted.
        while (!accepts(socket)) {
            if (!process.isAlive()) {
                throw new AssertionError(binary + " --listen unix:" + socket + " exited with " + process.exitValue()
                        + " before listening; its output:\n" + Files.readString(log));
            }
            if (System.currentTimeMillis() > deadline) {
                process.destroyForcibly();
                throw new AssertionError(binary + " did not accept connections on " + socket + " within " + START_TIMEOUT_MS
                        + " ms; its output:\n" + Files.readString(log));
            }
            Thread.sleep(10);
        }
        return new RealAgent(process, socket, log);
    }

    private static boolean accepts(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (java.nio.channels.SocketChannel probe = java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(socket))) {
            return probe.isConnected(); // the agent sees a connection that closes before HELLO, and drops it
        } catch (IOException e) {
            return false;
        }
    }

    public SocketAddress address() {
        return SocketAddress.domainSocketAddress(socket.toString());
    }

    public Path directory() {
        return socket.getParent();
    }

    /** SIGKILL, as a crashed agent or a stopped sandbox looks to the client. */
    void killAbruptly() {
        process.destroyForcibly();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    public String output() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws Exception {
        // Loopback mode has no PID-1 duties: anything still running under a killed agent is ours to end.
        List<ProcessHandle> children = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        children.forEach(ProcessHandle::destroyForcibly);
    }

    static Path agentDir() {
        String override = System.getProperty("paddock.agent.dir");
        if (override != null && !override.isBlank()) {
            return Path.of(override).toAbsolutePath();
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isRegularFile(dir.resolve("guest/agent/Makefile"))) {
                return dir.resolve("guest/agent");
            }
            dir = dir.getParent();
        }
        throw new AssertionError("guest/agent/Makefile not found above " + Path.of("").toAbsolutePath()
                + "; the agent client tests need the agent's source (or -Dpaddock.agent.dir=DIR)");
    }
}
