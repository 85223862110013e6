package dev.paddock.cli.api;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;

/** The daemon answered with an error status; {@link #getMessage()} is its message, prefixed with what was asked. */
public final class ApiException extends CliException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String apiMessage;

    public ApiException(int status, String apiMessage) {
        super(status == 404 ? ExitCodes.NOT_FOUND : ExitCodes.FAILED, apiMessage);
        this.status = status;
        this.apiMessage = apiMessage;
    }

    /** The HTTP status the daemon answered. */
    public int status() {
        return status;
    }

    /** The daemon's own words. */
    public String apiMessage() {
        return apiMessage;
    }
}
