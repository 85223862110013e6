package dev.paddock.vsock.agent;

/** The connection to the agent is gone (the agent vanished, the socket failed, or the client was closed). */
public final class AgentConnectionException extends AgentException {
    private static final long serialVersionUID = 1L;

    public AgentConnectionException(String message) {
        super(message);
    }

    public AgentConnectionException(String message, Throwable cause) {
        super(message, cause);
    }
}
