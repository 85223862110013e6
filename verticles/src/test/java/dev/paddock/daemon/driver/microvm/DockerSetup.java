package dev.paddock.daemon.driver.microvm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.function.Supplier;

/** The two steps every docker test on a sandbox starts with: dockerd answering, and the busybox image built. */
final class DockerSetup {
    static final String IMAGE = "paddock-it/busybox:1";

    private DockerSetup() {
    }

    /** Waits for the guest's dockerd (the proxy answers 502 until it listens); returns "VERSION OS". */
    static String awaitDaemon(DockerCli docker, Supplier<String> dockerdLog) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        DockerCli.Result version;
        do {
            version = docker.run(120, "version", "--format", "{{.Server.Version}} {{.Server.Os}}");
            if (version.code() == 0) {
                break;
            }
            Thread.sleep(2000);
        } while (System.nanoTime() < deadline);
        assertThat(version.code()).as("docker version against the sandbox: %s%ndockerd.log:%n%s", version,
                version.code() == 0 ? "" : dockerdLog.get()).isZero();
        return version.out().strip();
    }

    /** Builds {@link #IMAGE} FROM scratch with the host's static busybox, installed as its applets. */
    static void buildBusyboxImage(DockerCli docker, Path workDir, Supplier<String> dockerdLog) throws Exception {
        Path busybox = Path.of("/bin/busybox");
        assertThat(Files.isExecutable(busybox)).as("/bin/busybox (busybox-static, dev/test installs it)").isTrue();
        Path context = Files.createDirectories(workDir.resolve("ctx"));
        Files.copy(busybox, context.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(context.resolve("Dockerfile"), """
                FROM scratch
                COPY busybox /bin/busybox
                RUN ["/bin/busybox", "--install", "-s", "/bin"]
                CMD ["/bin/sh"]
                """);
        DockerCli.Result build = docker.run(600, "build", "-t", IMAGE, context.toString());
        assertThat(build.code()).as("docker build: %s%ndockerd.log:%n%s", build,
                build.code() == 0 ? "" : dockerdLog.get()).isZero();
        assertThat(build.out()).contains("Successfully tagged " + IMAGE);
    }
}
