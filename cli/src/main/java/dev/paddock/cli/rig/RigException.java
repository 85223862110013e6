package dev.paddock.cli.rig;

/** A failure of the helper VM that the user can act on; its message names the thing, the value and the fix. */
public class RigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RigException(String message) {
        super(message);
    }

    public RigException(String message, Throwable cause) {
        super(message, cause);
    }
}
