package dev.paddock.daemon.driver.microvm;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A shell command on the test's own host (the helper VM under the emulated accelerator), for test set-up. */
final class HostShell {
    private HostShell() {
    }

    /** Runs {@code sh -c script} in {@code dir}; returns its stdout, or fails with its status and output. */
    static String run(Path dir, String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", script).directory(dir.toFile())
                .redirectError(ProcessBuilder.Redirect.PIPE).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("host command still running after 300 s, in " + dir + ": " + script);
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("host command failed (exit " + p.exitValue() + "), in " + dir + ": " + script
                    + "\nstdout: " + new String(out, StandardCharsets.UTF_8)
                    + "\nstderr: " + new String(err, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
