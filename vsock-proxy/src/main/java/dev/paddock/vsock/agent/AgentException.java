package dev.paddock.vsock.agent;

/** Base of every failure the agent client reports; the message names what failed, the value and the fix. */
public class AgentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public AgentException(String message) {
        super(message);
    }

    public AgentException(String message, Throwable cause) {
        super(message, cause);
    }
}
