package dev.paddock.daemon.driver.microvm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Debian docker CLI (docker.io's client binary only, extracted by dev/docker-cli.sh; nothing of a host Docker
 * daemon is installed or used) pointed at one sandbox's {@code docker.sock} with {@code DOCKER_HOST}.
 * {@code -Dpaddock.it.docker=PATH} names another client.
 */
final class DockerCli {
    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
        }
    }

    private final Path binary;
    private final Path socket;
    private final Path config;

    DockerCli(Path socket, Path config) {
        this.binary = locate();
        this.socket = socket;
        this.config = config;
    }

    static Path locate() {
        String prop = System.getProperty("paddock.it.docker");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("PADDOCK_STATE");
        Path state = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".paddock");
        Path p = state.resolve("tools/docker.io/usr/bin/docker");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("no docker CLI at " + p + ": run dev/docker-cli.sh (it extracts the client"
                    + " of Debian's docker.io there, with the same PADDOCK_STATE) or pass -Dpaddock.it.docker=PATH");
        }
        return p;
    }

    Path binary() {
        return binary;
    }

    Result run(long timeoutSeconds, String... args) throws IOException, InterruptedException {
        return run(timeoutSeconds, null, args);
    }

    /** Runs {@code docker args...}, feeding {@code stdin} (or nothing), and waits at most {@code timeoutSeconds}. */
    Result run(long timeoutSeconds, byte[] stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.put("DOCKER_HOST", "unix://" + socket);
        env.put("DOCKER_CONFIG", config.toString());
        // Debian's docker.io 20.10 has no buildx: the legacy builder, as the issue allows.
        env.put("DOCKER_BUILDKIT", "0");
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread o = pump(p.getInputStream(), out);
        Thread e = pump(p.getErrorStream(), err);
        if (stdin != null) {
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin);
            }
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            o.join();
            e.join();
            return new Result(-1, out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8) + "\n(killed: docker " + String.join(" ", args)
                            + " took over " + timeoutSeconds + " s)");
        }
        o.join();
        e.join();
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static Thread pump(InputStream in, ByteArrayOutputStream to) {
        Thread t = new Thread(() -> {
            try (in) {
                in.transferTo(to);
            } catch (IOException ignored) {
                // the process was killed; what came is kept
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
