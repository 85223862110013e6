package dev.paddock.cli.build;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Builds the sandbox image with guest/image/build.sh before the CLI starts a daemon that will boot it, when
 * {@code $PADDOCK_STATE/images/current} is missing or {@link SandboxImageCheck} finds it stale. A daemon that is
 * already running is not the CLI's business: its own boot error names build.sh.
 */
public final class SandboxImageBuild {
    static final String SCRIPT = "guest/image/build.sh";
    static final String WHAT = "the sandbox image";

    private final Map<String, String> env;
    private final Path stateDir;
    private final PrintStream progress;

    public SandboxImageBuild(Map<String, String> env, Path stateDir, PrintStream progress) {
        this.env = env;
        this.stateDir = stateDir;
        this.progress = progress;
    }

    /** {@code $PADDOCK_STATE/images/current}, where build.sh links the image and the daemon reads it by default. */
    public Path current() {
        return stateDir.resolve("images").resolve("current");
    }

    /**
     * Whether a local daemon with these DaemonMain arguments (PADDOCK_DAEMON_ARGS) boots the image in
     * {@link #current()}: its driver is microvm ({@code --driver microvm}, or no {@code --driver} and an accelerator
     * probe that says native), and no {@code --image} names another image.
     */
    public static boolean localDaemonBootsIt(List<String> daemonArgs, java.util.function.BooleanSupplier probeSaysNative) {
        if (daemonArgs.contains("--image")) {
            return false;
        }
        int driver = daemonArgs.indexOf("--driver");
        if (driver >= 0) {
            return driver + 1 < daemonArgs.size() && "microvm".equals(daemonArgs.get(driver + 1));
        }
        return probeSaysNative.getAsBoolean();
    }

    /**
     * Runs build.sh when the image is missing or stale, with its progress on stderr; returns at once when it is
     * current.
     *
     * @throws CliException naming build.sh, its exit status and its error when the build fails
     */
    public void ensureCurrent() {
        SandboxImageCheck.Verdict verdict = check();
        if (verdict instanceof SandboxImageCheck.Verdict.Current) {
            return;
        }
        if (verdict instanceof SandboxImageCheck.Verdict.Stale stale) {
            progress.println("paddock: the sandbox image in " + current() + " is out of date (" + stale.why()
                    + "); rebuilding it with " + SCRIPT + " (unchanged steps are cached) …");
        } else {
            progress.println("paddock: building the sandbox image (first run only; several minutes) into " + current()
                    + " with " + SCRIPT + " …");
        }
        long t0 = System.nanoTime();
        try {
            BuildScript.inCheckout(env, SCRIPT, stateDir, WHAT).run(WHAT, progress);
        } catch (BuildScriptException e) {
            throw new CliException(ExitCodes.FAILED, e.exitStatus() < 0 ? e.getMessage() : e.getMessage()
                    + " (its steps are above; rerun it by hand with: PADDOCK_STATE=" + stateDir + " " + SCRIPT + ")", e);
        }
        progress.printf("paddock: sandbox image built in %.0f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /** The verdict; without a checkout (no PADDOCK_HOME) an image that is there counts as current. */
    SandboxImageCheck.Verdict check() {
        String home = env.get("PADDOCK_HOME");
        try {
            if (home == null || home.isBlank()) {
                // Nothing to compare with and nothing to build from: a missing image is still reported, and
                // BuildScript.inCheckout then says that PADDOCK_HOME is needed.
                for (String name : SandboxImageCheck.FILES) {
                    if (!java.nio.file.Files.isReadable(current().resolve(name))) {
                        return new SandboxImageCheck.Verdict.Missing(current().resolve(name).toString());
                    }
                }
                return new SandboxImageCheck.Verdict.Current();
            }
            return new SandboxImageCheck(BuildScript.checkout(env, WHAT), current()).check();
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILED, "cannot check the sandbox image in " + current() + " against the"
                    + " checkout " + home + ": " + e.getMessage() + "; rebuild it with " + SCRIPT, e);
        }
    }
}
