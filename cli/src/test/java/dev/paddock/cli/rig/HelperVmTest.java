package dev.paddock.cli.rig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The helper VM's error paths. Where QEMU itself would take a real boot to fail, a small script on the PATH
 * stands in for qemu-system-x86_64 and behaves as QEMU does in that failure (exit status, pid file, console).
 */
class HelperVmTest {
    @TempDir Path tmp;
    private Path state;
    private Path bin;
    private final Map<String, String> env = new HashMap<>();
    private final ByteArrayOutputStream progress = new ByteArrayOutputStream();
    private Process fakeQemuProcess;

    @BeforeEach
    void setUp() throws IOException {
        state = Files.createDirectories(tmp.resolve("state"));
        bin = Files.createDirectories(tmp.resolve("bin"));
        env.put("PATH", bin.toString());
    }

    @AfterEach
    void tearDown() {
        if (fakeQemuProcess != null) fakeQemuProcess.destroyForcibly();
    }

    private HelperVm vm() {
        return new HelperVm(new RigPaths(state), env, new PrintStream(progress, true), () -> {});
    }

    private void fakeQemu(String body) throws IOException {
        Path q = bin.resolve("qemu-system-x86_64");
        Files.writeString(q, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(q, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void insideTheHelperVmEveryRigCommandIsRefusedBeforeTouchingState() throws IOException {
        // The host's files, as L1 sees them through the share: a pid that L1's process table does not have. On the
        // host, start and stop would take that for a VM that stopped without 'rig stop' and delete these files.
        Path rig = Files.createDirectories(new RigPaths(state).dir());
        Files.writeString(rig.resolve("qemu.pid"), "999999999\n");
        Files.writeString(rig.resolve("port"), "36757\n");
        Files.writeString(rig.resolve("api-port"), "36758\n");
        HelperVm inside = new HelperVm(new RigPaths(state), env, new PrintStream(progress, true), () -> {}, () -> true);
        assertThatThrownBy(inside::start).isInstanceOf(RigException.class)
                .hasMessageContaining("cannot start the helper VM from inside it")
                .hasMessageContaining(rig.toString())
                .hasMessageContaining("paddock rig probe --fresh");
        assertThatThrownBy(inside::ensureRunning).isInstanceOf(RigException.class)
                .hasMessageContaining("cannot use the helper VM from inside it");
        assertThatThrownBy(() -> inside.exec(tmp, java.util.List.of("true"))).isInstanceOf(RigException.class)
                .hasMessageContaining("cannot use the helper VM from inside it");
        assertThatThrownBy(() -> inside.stop(java.time.Duration.ofSeconds(1))).isInstanceOf(RigException.class)
                .hasMessageContaining("cannot stop the helper VM from inside it");
        assertThat(rig.resolve("qemu.pid")).hasContent("999999999");
        assertThat(rig.resolve("port")).hasContent("36757");
        assertThat(rig.resolve("api-port")).hasContent("36758");
        assertThat(rig.resolve("rig.lock")).as("not even the lock file").doesNotExist();

        // On the host the same stale files are cleaned up by stop: the guard is what kept them above.
        assertThat(vm().stop(java.time.Duration.ofSeconds(1))).isFalse();
        assertThat(rig.resolve("qemu.pid")).doesNotExist();
    }

    @Test
    void oneVcpuUnlessAskedAndNeverMoreThanTheHostHas() {
        assertThat(HelperVm.cpus(null, 2)).isEqualTo(1);
        assertThat(HelperVm.cpus(2L, 2)).isEqualTo(2);
        assertThatThrownBy(() -> HelperVm.cpus(3L, 2)).isInstanceOf(RigException.class)
                .hasMessageContaining("PADDOCK_RIG_CPUS=3").hasMessageContaining("1 to 2");
        assertThatThrownBy(() -> HelperVm.cpus(0L, 2)).isInstanceOf(RigException.class);
    }

    @Test
    void missingQemuSaysWhichPackageToInstall() {
        assertThatThrownBy(() -> vm().start())
                .isInstanceOf(RigException.class)
                .hasMessageContaining("QEMU is missing")
                .hasMessageContaining("apt-get install qemu-system-x86");
    }

    @Test
    void tooLittleMemoryIsRefusedBeforeBooting() throws IOException {
        fakeQemu("exit 1");
        env.put("PADDOCK_RIG_MEMORY_MB", "100000000");
        assertThatThrownBy(() -> vm().start()).hasMessageContaining("not enough memory for the helper VM");
    }

    @Test
    void qemuThatCannotStartShowsWhatItSaid() throws IOException {
        fakeQemu("echo 'qemu-system-x86_64: -kernel: could not load kernel' >&2; exit 1");
        env.put("PADDOCK_RIG_MEMORY_MB", "2048");
        assertThatThrownBy(() -> vm().start())
                .hasMessageContaining("QEMU could not start the helper VM (exit status 1)")
                .hasMessageContaining("could not load kernel");
    }

    @Test
    void aVmThatDiesWhileBootingShowsTheTailOfItsConsole() throws IOException {
        // Like QEMU with -no-reboot after a guest kernel panic: it daemonized, wrote its pid, and is gone.
        fakeQemu("""
                while [ $# -gt 0 ]; do
                  case "$1" in
                    -serial) console="${2#file:}"; shift ;;
                    -pidfile) pidfile="$2"; shift ;;
                  esac
                  shift
                done
                printf 'Linux version 6.1.0\\nKernel panic - not syncing: VFS: Unable to mount root fs\\n' > "$console"
                echo $$ > "$pidfile"
                exit 0""");
        env.put("PADDOCK_RIG_MEMORY_MB", "2048");
        assertThatThrownBy(() -> vm().start())
                .hasMessageContaining("the helper VM failed to boot")
                .hasMessageContaining("Kernel panic - not syncing");
    }

    @Test
    void aRunningVmWhoseAgentDiedIsReportedWithItsConsole() throws Exception {
        // A live process that looks like QEMU, and a forwarded port nobody answers on.
        fakeQemuProcess = new ProcessBuilder("bash", "-c", "exec -a qemu-system-x86_64 sleep 60").start();
        RigPaths p = new RigPaths(state);
        Files.createDirectories(p.dir());
        Files.writeString(p.pid(), fakeQemuProcess.pid() + "\n");
        Files.writeString(p.port(), FreePort.pick() + "\n");
        Files.writeString(p.token(), "t\n");
        Files.writeString(p.consoleLog(), "paddock-rig: agent died with status 139; powering off\n");
        Thread.sleep(200); // let bash exec sleep, so /proc shows the new argv0
        assertThatThrownBy(() -> vm().ensureRunning())
                .hasMessageContaining("its agent does not answer")
                .hasMessageContaining("agent died with status 139")
                .hasMessageContaining("paddock rig stop");
    }

    @Test
    void aPidFileWithoutQemuMeansItStoppedUnexpectedly() throws IOException {
        RigPaths p = new RigPaths(state);
        Files.createDirectories(p.dir());
        Files.writeString(p.pid(), ProcessHandle.current().pid() + "\n"); // alive, but a JVM, not QEMU
        assertThat(vm().running()).isEmpty();
        assertThat(vm().stoppedUnexpectedly()).isTrue();
    }
}
