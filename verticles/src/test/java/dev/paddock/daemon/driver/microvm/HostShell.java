package dev.paddock.daemon.driver.microvm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** A shell command on the test's own host (the helper VM under the emulated accelerator), for test set-up. */
final class HostShell {
    private static final long TIMEOUT_S = 300;

    private HostShell() {
    }

    /** Runs {@code sh -c script} in {@code dir}; returns its stdout, or fails with its status and output. */
    static String run(Path dir, String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile())
                .redirectError(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        // Both pipes are drained at once: reading one to its end first would block forever on a command that
        // fills the other's pipe buffer (64 KiB) before it closes the first.
        CompletableFuture<byte[]> out = drain(p.getInputStream());
        CompletableFuture<byte[]> err = drain(p.getErrorStream());
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("host command still running after " + TIMEOUT_S + " s, in " + dir + ": " + script);
        }
        String stdout = new String(out.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError("host command failed (exit " + p.exitValue() + "), in " + dir + ": " + script
                    + "\nstdout: " + stdout
                    + "\nstderr: " + new String(err.get(30, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        }
        return stdout;
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        CompletableFuture<byte[]> all = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                all.complete(in.readAllBytes());
            } catch (IOException e) {
                all.completeExceptionally(new UncheckedIOException(e));
            }
        }, "host-shell-pipe");
        t.setDaemon(true);
        t.start();
        return all;
    }
}
