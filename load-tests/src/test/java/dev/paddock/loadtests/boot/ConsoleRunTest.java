package dev.paddock.loadtests.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConsoleRun}'s boot-server protocol against fake servers: small shell scripts that print what
 * {@link PaddockBootServer} prints (or die the way a broken one does), so no VM and no JVM child is needed.
 */
class ConsoleRunTest {
    private static final String DISK_FILE = "paddock test disk";
    /** What the test image's /init prints for a good boot, then the server's timing lines. */
    private static final String GOOD_BOOT = """
            echo '[    0.9] PCI: Fatal: No config space access function found'
            echo 'PADDOCK-INIT-MARKER uptime=3.43'
            echo 'PADDOCK-TEST modules-loaded=7'
            echo 'PADDOCK-TEST cpus-online=2 list=0-1'
            echo 'PADDOCK-TEST hwrng=c7394a71c0005c46e851476facff5893 source=virtio_rng.0'
            echo 'PADDOCK-TEST disk-file=paddock test disk'
            echo 'PADDOCK-TEST done uptime=6.21'
            echo 'PADDOCK-BOOT-TIMING vm-create-to-marker-ms=13637.5'
            """;

    @TempDir
    Path dir;

    @Test
    void aServerThatAnswersEveryRequestGivesGoodRunsOneAfterAnother() throws Exception {
        ConsoleRun.BootServer server = start("""
                echo PADDOCK-BOOT-SERVER-READY
                while read -r request; do
                %s
                  echo 'PADDOCK-BOOT-DONE exit=0'
                done
                """.formatted(GOOD_BOOT));
        for (int i = 0; i < 2; i++) {
            ConsoleRun.Result r = ConsoleRun.request(server, "boot /k", new GuestReport(2, DISK_FILE), 30);
            assertThat(r.problems()).isEmpty();
            assertThat(r.startToMarkerNanos()).isPositive();
            assertThat(r.markerUptime()).contains(3.43);
            assertThat(r.childTimings()).containsExactly("vm-create-to-marker-ms=13637.5");
        }
        assertThat(server.alive()).isTrue();
        server.close();
        assertThat(server.alive()).isFalse();
    }

    @Test
    void aServerThatDiesAfterTheMarkerGivesABrokenRunNamingItsExitStatusAndStderrAndNoException() throws Exception {
        ConsoleRun.BootServer server = start("""
                echo PADDOCK-BOOT-SERVER-READY
                read -r request
                echo 'PADDOCK-INIT-MARKER uptime=3.43'
                echo 'Exception in thread "main" java.lang.NoClassDefFoundError: dev/paddock/Example' >&2
                exit 3
                """);
        ConsoleRun.Result first = ConsoleRun.request(server, "boot /k", new GuestReport(2, DISK_FILE), 30);
        assertThat(first.ok()).isFalse();
        assertThat(first.startToMarkerNanos()).isPositive();
        assertThat(String.join("\n", first.problems()))
                .contains("no result line starting with \"cpus-online=2 \"")
                .contains("the boot server ended mid-run")
                .contains("exit status 3")
                .contains("NoClassDefFoundError: dev/paddock/Example");
        assertThat(server.alive()).isFalse();

        // The next request to the dead server is a broken run too, not an IOException ("Stream closed").
        ConsoleRun.Result second = ConsoleRun.request(server, "boot /k", new GuestReport(2, DISK_FILE), 30);
        assertThat(second.ok()).isFalse();
        assertThat(second.startToMarkerNanos()).isEqualTo(-1);
        assertThat(String.join("\n", second.problems())).contains("the boot server ended mid-run").contains("exit status 3");
    }

    @Test
    void aServerKilledByASignalSaysSo() throws Exception {
        ConsoleRun.BootServer server = start("""
                echo PADDOCK-BOOT-SERVER-READY
                read -r request
                echo 'PADDOCK-INIT-MARKER uptime=3.43'
                kill -9 $$
                """);
        ConsoleRun.Result r = ConsoleRun.request(server, "boot /k", new GuestReport(2, DISK_FILE), 30);
        assertThat(String.join("\n", r.problems())).contains("exit status 137").contains("is empty");
    }

    @Test
    void aRunThatOverstaysItsTimeoutKillsTheServerAndSaysSo() throws Exception {
        ConsoleRun.BootServer server = start("""
                echo PADDOCK-BOOT-SERVER-READY
                read -r request
                echo 'PADDOCK-INIT-MARKER uptime=3.43'
                exec sleep 60
                """);
        ConsoleRun.Result r = ConsoleRun.request(server, "boot /k", new GuestReport(2, DISK_FILE), 1);
        assertThat(String.join("\n", r.problems())).contains("killed after the 1 s timeout");
        assertThat(server.alive()).isFalse();
    }

    @Test
    void aServerThatNeverGetsReadyFailsToStartNamingItsStderr() throws Exception {
        Path script = script("echo 'starting'; echo 'Error: Could not find or load main class X' >&2; exit 1");
        assertThatThrownBy(() -> ConsoleRun.BootServer.start(List.of("sh", script.toString()), dir.resolve("e.stderr"), 30))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("did not start")
                .hasMessageContaining("starting")
                .hasMessageContaining("exit status 1")
                .hasMessageContaining("Could not find or load main class X");
    }

    private ConsoleRun.BootServer start(String body) throws IOException {
        return ConsoleRun.BootServer.start(List.of("sh", script(body).toString()), dir.resolve("server.stderr"), 30);
    }

    private Path script(String body) throws IOException {
        Path script = Files.createTempFile(dir, "fake-boot-server", ".sh");
        Files.writeString(script, body);
        return script;
    }
}
