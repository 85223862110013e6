package dev.paddock.daemon;

/**
 * The {@code code} of every API error (openapi.yaml, {@code Error.code}) and the HTTP status it maps to. The same
 * codes travel as event-bus failure codes ({@link #failureCode()}), so a verticle's refusal reaches the client
 * with its meaning intact.
 */
public enum ErrorCode {
    INVALID_JSON(400),
    INVALID_ARGUMENT(400),
    OUT_OF_RANGE(400),
    POLICY_INVALID(400),
    UNKNOWN_SECRET(400),
    UNAUTHORIZED(401),
    NOT_FOUND(404),
    ILLEGAL_STATE(409),
    NAME_TAKEN(409),
    EXEC_FAILED(422),
    BOOT_FAILED(500),
    INTERNAL(500),
    /** A host port cannot be bound, or the guest port is already published (at the end: failure codes stay put). */
    PORT_TAKEN(409);

    /** Event-bus failure codes start here, clear of Vert.x's own small negative/zero codes. */
    private static final int FAILURE_CODE_BASE = 4000;

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int failureCode() {
        return FAILURE_CODE_BASE + ordinal();
    }

    /** The code a {@link #failureCode()} stands for; any other value (a Vert.x failure) is INTERNAL. */
    public static ErrorCode ofFailureCode(int failureCode) {
        int i = failureCode - FAILURE_CODE_BASE;
        ErrorCode[] all = values();
        return i >= 0 && i < all.length ? all[i] : INTERNAL;
    }
}
