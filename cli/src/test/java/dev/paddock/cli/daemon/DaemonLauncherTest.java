package dev.paddock.cli.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.ApiException;
import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.api.DaemonEndpoint;
import dev.paddock.cli.api.DaemonUnreachableException;
import dev.paddock.cli.api.PaddockState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Auto-start: a real child process (StubDaemonMain) started detached, waited for, and found again by its pid. */
class DaemonLauncherTest {
    @TempDir
    Path state;

    private DaemonLauncher launcher(PrintStream progress, boolean fail) {
        return new DaemonLauncher(new PaddockState(state), List.of("-Dstub.fail=" + fail, "-cp",
                System.getProperty("java.class.path"), StubDaemonMain.class.getName()), progress, state);
    }

    @Test
    void startsTheDaemonDetachedAndWaitsForItsSocket() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        PaddockState paddock = new PaddockState(state);
        try (DaemonClient client = DaemonClient.open(new DaemonEndpoint.Unix(paddock.socket()))) {
            assertThat(client.answers("/v1/info")).isFalse();
            launcher(new PrintStream(progress, true, StandardCharsets.UTF_8), false).ensureRunning(client, () -> client.answers("/v1/info"));
            assertThat(client.get("/v1/info").requireOk().jsonObject().getString("version")).isEqualTo("stub");
        }
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("starting the daemon in the background (log: "
                + paddock.log() + ")", "daemon ready in");
        assertThat(Files.readString(paddock.log())).contains("stub daemon: listening", "--state " + state);
        Optional<ProcessHandle> p = ProcessHandle.of(Long.parseLong(Files.readString(state.resolve("daemon.pid")).trim()));
        assertThat(p).isPresent();
        // Its own session (setsid): not in this JVM's process group, so a terminal's Ctrl-C does not reach it.
        p.get().destroyForcibly();
        p.get().onExit().get();
    }

    @Test
    void aDaemonThatDiesAtStartIsReportedWithItsLog() throws Exception {
        PaddockState paddock = new PaddockState(state);
        try (DaemonClient client = DaemonClient.open(new DaemonEndpoint.Unix(paddock.socket()))) {
            assertThatThrownBy(() -> launcher(new PrintStream(new ByteArrayOutputStream()), true)
                    .ensureRunning(client, () -> client.answers("/v1/info")))
                    .isInstanceOf(DaemonUnreachableException.class)
                    .hasMessageContaining("the daemon exited with status 1 before it answered on " + paddock.socket())
                    .hasMessageContaining("address in use");
        }
    }

    @Test
    void preparationRunsOnlyWhenADaemonIsToBeStartedAndItsFailureStartsNone() throws Exception {
        PaddockState paddock = new PaddockState(state);
        java.util.concurrent.atomic.AtomicInteger prepared = new java.util.concurrent.atomic.AtomicInteger();
        try (DaemonClient client = DaemonClient.open(new DaemonEndpoint.Unix(paddock.socket()))) {
            assertThatThrownBy(() -> launcher(new PrintStream(new ByteArrayOutputStream()), false)
                    .preparing(() -> {
                        prepared.incrementAndGet();
                        throw new dev.paddock.cli.CliException(ExitCodes.FAILED, "building the sandbox image failed");
                    })
                    .ensureRunning(client, () -> client.answers("/v1/info")))
                    .hasMessage("building the sandbox image failed");
            assertThat(prepared).hasValue(1);
            assertThat(Files.exists(paddock.log())).as("no daemon was started").isFalse();

            launcher(new PrintStream(new ByteArrayOutputStream()), false).preparing(prepared::incrementAndGet)
                    .ensureRunning(client, () -> client.answers("/v1/info"));
            assertThat(prepared).hasValue(2);
            // One answers now: nothing to prepare.
            launcher(new PrintStream(new ByteArrayOutputStream()), false).preparing(prepared::incrementAndGet)
                    .ensureRunning(client, () -> client.answers("/v1/info"));
            assertThat(prepared).hasValue(2);
        } finally {
            Path pid = state.resolve("daemon.pid");
            if (Files.exists(pid)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pid).trim())).ifPresent(p -> {
                    p.destroyForcibly();
                    p.onExit().join();
                });
            }
        }
    }

    @Test
    void theDaemonArgvIsThisJavaWithTheStateDir() {
        DaemonLauncher real = DaemonLauncher.forThisJar(new PaddockState(state), System.err, state, List.of("--driver", "loopback"));
        List<String> argv = real.argv();
        assertThat(argv).contains(DaemonLauncher.DAEMON_MAIN, "--state", state.toString());
        assertThat(argv).endsWith("--state", state.toString(), "--driver", "loopback");
        assertThat(argv.get(argv.indexOf("-cp") + 1).split(java.io.File.pathSeparator))
                .allSatisfy(e -> assertThat(Path.of(e)).isAbsolute());
    }

    @Test
    void daemonStatusDoesNotStartOneAndSaysHow() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var ctx = new dev.paddock.cli.CliContext(java.util.Map.of("PADDOCK_STATE", state.toString(), "PADDOCK_EMULATED", "0"),
                java.io.InputStream.nullInputStream(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), state);
        int status = dev.paddock.cli.Paddock.commandLine(ctx).execute("daemon", "status");
        assertThat(status).isEqualTo(ExitCodes.DAEMON_UNREACHABLE);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no daemon answers on unix socket " + state.resolve("daemon.sock"),
                "start one with: paddock daemon start");
        assertThat(Files.exists(state.resolve("daemon.log"))).isFalse();
        int stop = dev.paddock.cli.Paddock.commandLine(ctx).execute("daemon", "stop");
        assertThat(stop).isZero();
    }

    @Test
    void apiErrorsMapToExitStatuses() {
        assertThat(new ApiException(404, "x").exitCode()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(new ApiException(409, "x").exitCode()).isEqualTo(ExitCodes.FAILED);
    }
}
