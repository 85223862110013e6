package dev.paddock.daemon;

import java.util.List;
import java.util.Objects;

/**
 * A refusal or failure the API reports as {@code {"error", "code", "field"?, "details"?}}. The message names the
 * thing, the value and the fix.
 */
public final class DaemonException extends RuntimeException {
    private final ErrorCode code;
    private final String field;
    private final List<String> details;

    public DaemonException(ErrorCode code, String message) {
        this(code, message, null, List.of());
    }

    public DaemonException(ErrorCode code, String message, String field, List<String> details) {
        super(Objects.requireNonNull(message, "message"));
        this.code = Objects.requireNonNull(code, "code");
        this.field = field;
        this.details = List.copyOf(details);
    }

    public static DaemonException invalid(String field, String message) {
        return new DaemonException(ErrorCode.INVALID_ARGUMENT, message, field, List.of());
    }

    public static DaemonException outOfRange(String field, long value, long min, long max, String unit) {
        return new DaemonException(ErrorCode.OUT_OF_RANGE, field + " " + value + unit + " is out of range; use "
                + min + ".." + max + unit, field, List.of());
    }

    public static DaemonException notFound(String what, String ref) {
        return new DaemonException(ErrorCode.NOT_FOUND, "no " + what + " \"" + ref + "\"; list them with "
                + ("sandbox".equals(what) ? "GET /v1/sandboxes (paddock ls)" : "GET /v1/secrets (paddock secret ls)"));
    }

    public ErrorCode code() {
        return code;
    }

    /** The request field at fault, or null. */
    public String field() {
        return field;
    }

    public List<String> details() {
        return details;
    }
}
