package dev.paddock.cli.build;

/** A build script that could not run or failed; the message names the script, its exit status and its error. */
public final class BuildScriptException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitStatus;

    public BuildScriptException(String message, int exitStatus) {
        super(message);
        this.exitStatus = exitStatus;
    }

    public BuildScriptException(String message, int exitStatus, Throwable cause) {
        super(message, cause);
        this.exitStatus = exitStatus;
    }

    /** The script's exit status, or -1 when it did not run to an exit. */
    public int exitStatus() {
        return exitStatus;
    }
}
