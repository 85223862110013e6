package dev.paddock.cli.api;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;

/** No daemon answered at the endpoint: nothing listens there, or the connection broke before an answer. */
public final class DaemonUnreachableException extends CliException {
    private static final long serialVersionUID = 1L;

    public DaemonUnreachableException(String message, Throwable cause) {
        super(ExitCodes.DAEMON_UNREACHABLE, message, cause);
    }
}
