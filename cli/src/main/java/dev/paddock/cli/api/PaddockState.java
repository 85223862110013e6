package dev.paddock.cli.api;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * The daemon's files in the state directory, {@code ${PADDOCK_STATE:-$HOME/.paddock}}: the API socket it listens on,
 * the log the CLI sends its output to when it starts it, and the lock that keeps two CLIs from starting two.
 */
public record PaddockState(Path dir) {

    public static PaddockState fromEnvironment(Map<String, String> env) {
        String state = env.get("PADDOCK_STATE");
        if (state == null || state.isBlank()) {
            state = Paths.get(System.getProperty("user.home"), ".paddock").toString();
        }
        return new PaddockState(Paths.get(state).toAbsolutePath().normalize());
    }

    /** The REST API's unix socket. */
    public Path socket() { return dir.resolve("daemon.sock"); }
    /** stdout and stderr of a daemon the CLI started. */
    public Path log() { return dir.resolve("daemon.log"); }
    /** Held while a CLI starts the daemon, so that concurrent commands start one, not several. */
    public Path startLock() { return dir.resolve("daemon.start.lock"); }
}
