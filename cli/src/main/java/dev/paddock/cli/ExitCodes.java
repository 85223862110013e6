package dev.paddock.cli;

/**
 * The exit statuses every daemon-facing command shares (docs/cli.md). {@code exec} and {@code run} exit with the
 * command's own status once it ran; these apply when it never did.
 */
public final class ExitCodes {
    /** Done. */
    public static final int OK = 0;
    /** The daemon refused the request (bad input, a conflict, an internal error); the message says why. */
    public static final int FAILED = 1;
    /** Bad flags or arguments (picocli's own usage status). */
    public static final int USAGE = 2;
    /** No daemon answered, and none could be started. */
    public static final int DAEMON_UNREACHABLE = 3;
    /** The sandbox or secret named does not exist. */
    public static final int NOT_FOUND = 4;

    /** For picocli's {@code exitCodeList}: the lines of the table above. */
    public static final String[] LIST = {
            "0:done", "1:the daemon refused the request (the message says why)", "2:bad flags or arguments",
            "3:no daemon answered and none could be started", "4:no such sandbox (or secret)"};

    private ExitCodes() {
    }
}
