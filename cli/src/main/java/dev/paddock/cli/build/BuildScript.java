package dev.paddock.cli.build;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * One of the checkout's build scripts (guest/helper-vm/build.sh, guest/image/build.sh), found under
 * {@code $PADDOCK_HOME} and run with {@code PADDOCK_STATE} set to the state directory it builds into. Its output,
 * stdout and stderr together, goes line by line to the progress stream (stderr), never to the command's stdout;
 * a failure names the script, its exit status and the last error line it printed.
 *
 * @param script   the script's absolute path
 * @param stateDir the state directory the script builds into ({@code PADDOCK_STATE})
 */
public record BuildScript(Path script, Path stateDir) {

    /**
     * The script at {@code relative} under the checkout that {@code PADDOCK_HOME} names (set by ./paddock).
     *
     * @param what what the script builds ("the sandbox image"), for the message when PADDOCK_HOME is not set
     */
    public static BuildScript inCheckout(Map<String, String> env, String relative, Path stateDir, String what) {
        return new BuildScript(checkout(env, what).resolve(relative), stateDir);
    }

    /** The checkout that PADDOCK_HOME names; fails saying why it is needed when it is not set. */
    public static Path checkout(Map<String, String> env, String what) {
        String home = env.get("PADDOCK_HOME");
        if (home == null || home.isBlank()) {
            throw new BuildScriptException("PADDOCK_HOME is not set, so " + what + " cannot be built; run paddock"
                    + " through the ./paddock launcher of the repository", -1);
        }
        return Paths.get(home).toAbsolutePath().normalize();
    }

    /**
     * Runs the script to its end, copying its output to progress.
     *
     * @param what what it builds ("the sandbox image"), for the failure's message
     * @throws BuildScriptException when it cannot be started, exits non-zero, or the wait is interrupted
     */
    public void run(String what, PrintStream progress) {
        ProcessBuilder pb = new ProcessBuilder(script.toString()).redirectErrorStream(true);
        pb.environment().put("PADDOCK_STATE", stateDir.toString());
        String lastError = null;
        String lastLine = null;
        try {
            Process p = pb.start();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    progress.println(line);
                    if (!line.isBlank()) {
                        lastLine = line;
                        if (line.contains("error")) {
                            lastError = line;
                        }
                    }
                }
            }
            int rc = p.waitFor();
            if (rc != 0) {
                String reason = lastError != null ? lastError : lastLine;
                throw new BuildScriptException("building " + what + " failed: " + script + " exited with status " + rc
                        + (reason == null ? " and printed nothing" : ": " + reason.strip()), rc);
            }
        } catch (IOException e) {
            throw new BuildScriptException("cannot run " + script + " to build " + what + ": " + e.getMessage(), -1, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BuildScriptException("interrupted while building " + what + " (" + script + ")", -1, e);
        }
    }
}
