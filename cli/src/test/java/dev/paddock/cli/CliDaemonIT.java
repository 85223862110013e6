package dev.paddock.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI against the real daemon: the first command starts it in the background (auto-start, from this class path,
 * loopback driver: the real guest agent as a host process), then create, ls, exec (streamed and on a terminal),
 * stop and rm go through {@link Paddock#commandLine(CliContext)}, and {@code daemon stop} ends it.
 */
@Timeout(300)
class CliDaemonIT {
    private static final Path CHECKOUT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path state;

    @BeforeAll
    static void agentIsBuilt() {
        Path agent = CHECKOUT.resolve("guest/agent/target/paddock-agent");
        assertThat(Files.isExecutable(agent)).as("the loopback driver runs the guest agent %s; build it with: make -C guest/agent",
                agent).isTrue();
    }

    record Result(int status, String out, String err) {}

    private Result paddock(String stdin, String... args) {
        return paddock(stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    private Result paddock(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // The local daemon on the loopback driver whatever this host's accelerator probe says: this test is about
        // the CLI, not the VM.
        CliContext ctx = new CliContext(Map.of("PADDOCK_STATE", state.toString(), "PADDOCK_HOME", CHECKOUT.toString(),
                "PADDOCK_EMULATED", "0", "PADDOCK_DAEMON_ARGS", "--driver loopback"),
                new ByteArrayInputStream(stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), state);
        int status = Paddock.commandLine(ctx).execute(args);
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @AfterEach
    void stopTheDaemon() throws Exception {
        Path log = state.resolve("daemon.log");
        if (Files.exists(log)) {
            // The temp dir goes with the test: keep the daemon's own words in the test report.
            System.out.println("--- daemon.log\n" + Files.readString(log));
        }
        Result r = paddock("", "daemon", "stop");
        assertThat(r.status()).as(r.err()).isZero();
    }

    @Test
    void createLsExecStopRmThroughTheCli() throws Exception {
        Path ws = Files.createDirectories(state.resolve("ws"));

        Result ls = paddock("", "ls");
        assertThat(ls.status()).as(ls.err()).isZero();
        assertThat(ls.err()).contains("starting the daemon in the background", "daemon ready in");
        assertThat(ls.out().lines()).containsExactly("ID  NAME  STATE  CPUS  MEMORY  WORKSPACES");

        Result create = paddock("", "create", "-n", "it", "-w", ws.toString(), "--cpus", "1", "--memory", "512M");
        assertThat(create.status()).as(create.err()).isZero();
        String id = create.out().trim();
        assertThat(id).matches("sb-[0-9a-f]{12}");
        assertThat(create.err()).contains("created sandbox it (" + id + ")", "ready in");

        JsonArray listed = new JsonArray(paddock("", "ls", "--json").out());
        assertThat(listed).hasSize(1);
        assertThat(listed.getJsonObject(0).getString("state")).isEqualTo("ready");
        assertThat(listed.getJsonObject(0).getInteger("memoryMib")).isEqualTo(512);

        Result exec = paddock("", "exec", "it", "--", "sh", "-c", "echo out; echo err >&2; exit 3");
        assertThat(exec.status()).isEqualTo(3);
        assertThat(exec.out()).isEqualTo("out\n");
        assertThat(exec.err()).isEqualTo("err\n");

        Result stdin = paddock("piped bytes", "exec", "-i", "it", "--", "cat");
        assertThat(stdin.status()).as(stdin.err()).isZero();
        assertThat(stdin.out()).isEqualTo("piped bytes");

        Result tty = paddock("", "exec", "-t", "it", "--", "sh", "-c", "test -t 1 && echo on-a-tty; exit 4");
        assertThat(tty.status()).as(tty.err()).isEqualTo(4);
        assertThat(tty.out()).contains("on-a-tty");

        Result missing = paddock("", "exec", "nope", "--", "true");
        assertThat(missing.status()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).startsWith("paddock: ").contains("nope");

        Result refused = paddock("", "rm", "it");
        assertThat(refused.status()).isEqualTo(ExitCodes.FAILED);
        assertThat(refused.err()).contains("ready");

        Result stop = paddock("", "stop", "it");
        assertThat(stop.status()).as(stop.err()).isZero();
        assertThat(new JsonArray(paddock("", "ls", "--json").out()).getJsonObject(0).getString("state")).isEqualTo("stopped");

        Result rm = paddock("", "rm", "it");
        assertThat(rm.status()).as(rm.err()).isZero();
        assertThat(paddock("", "ls", "-q").out()).isEmpty();
    }

    /**
     * {@code echo '...' | paddock run shell}: with stdin piped, run gives the login shell no terminal and stdin to its
     * end (docker run -i): the script's output comes back whole, stdout apart from stderr, with its exit code, and a
     * large stdin arrives whole.
     */
    @Test
    void runWithAPipedStdinRunsTheScriptWithoutATerminal() throws Exception {
        Path ws = Files.createDirectories(state.resolve("piped ws"));

        Result script = paddock("uname -s; test -t 0 || echo no-tty; pwd; echo oops >&2; echo done; exit 6\n",
                "run", "shell", ws.toString());
        assertThat(script.status()).as(script.err()).isEqualTo(6);
        assertThat(script.out()).isEqualTo("Linux\nno-tty\n" + ws + "\ndone\n");
        assertThat(script.err()).contains("ready in").endsWith("oops\n");

        byte[] mib = new byte[1 << 20];
        new java.util.Random(8).nextBytes(mib);
        Result big = paddock(mib, "run", "wc", ws.toString());
        assertThat(big.status()).as(big.err()).isZero();
        assertThat(big.err()).contains("attaching to sandbox");
        assertThat(big.out().trim().split("\\s+")).as(big.out()).contains(Integer.toString(1 << 20));

        Result status = paddock("exit 0\n", "run", "shell", ws.toString());
        assertThat(status.status()).as(status.err()).isZero();
        assertThat(status.out()).isEmpty();
    }
}
