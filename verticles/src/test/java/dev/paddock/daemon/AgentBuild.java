package dev.paddock.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Builds the real guest agent ({@code make -C guest/agent}) for the loopback driver. A build that fails is a test
 * failure with make's output, never a skip. {@code -Dpaddock.agent.dir=DIR} builds another checkout's agent.
 */
public final class AgentBuild {
    private static final long BUILD_TIMEOUT_S = 300;
    private static Path built;

    private AgentBuild() { }

    public static synchronized Path binary() throws IOException, InterruptedException {
        if (built != null) {
            return built;
        }
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
        built = binary.toAbsolutePath();
        return built;
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
                + "; the daemon tests need the agent's source (or -Dpaddock.agent.dir=DIR)");
    }

    /** A short temporary state directory: unix socket paths are limited to 107 bytes. */
    public static Path shortTempDir(String prefix) throws IOException {
        return Files.createTempDirectory(Path.of("/tmp"), prefix);
    }
}
