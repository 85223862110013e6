package dev.paddock.cli;

/**
 * A failure the user can act on, with the exit status it ends the command with ({@link ExitCodes}). Its message
 * names the thing, the value and the fix, and is printed as {@code paddock: <message>} without a stack trace.
 */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
