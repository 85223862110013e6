package dev.paddock.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * What a command may touch outside its arguments: the environment, the three standard streams and the working
 * directory. {@link Paddock#main} passes the process's own; tests pass their own so that commands run in-process
 * against a temporary state directory and their output can be read back.
 */
public record CliContext(Map<String, String> env, InputStream in, PrintStream out, PrintStream err, Path cwd) {

    public CliContext {
        env = Map.copyOf(env);
        cwd = cwd.toAbsolutePath().normalize();
    }

    /** This process's environment, streams and working directory. */
    public static CliContext system() {
        return new CliContext(System.getenv(), System.in, System.out, System.err,
                Paths.get(System.getProperty("user.dir")));
    }

    /** The variable's value, or null when it is unset or blank. */
    public String getenv(String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v;
    }
}
