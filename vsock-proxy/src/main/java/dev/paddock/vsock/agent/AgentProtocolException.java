package dev.paddock.vsock.agent;

/**
 * The agent broke the wire protocol (guest/PROTOCOL.md): a malformed, oversized or out-of-order frame, or data
 * beyond the credit it was granted. The connection is failed with it: the client sends {@code ERROR} with
 * {@link #code()} on stream 0, closes the connection, and fails every pending future.
 */
public class AgentProtocolException extends AgentException {
    private static final long serialVersionUID = 1L;
    private final AgentErrorCode code;

    public AgentProtocolException(String message) {
        this(AgentErrorCode.PROTOCOL, message);
    }

    public AgentProtocolException(AgentErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    /** The error code the client sends the agent before closing (PROTOCOL.md §7). */
    public AgentErrorCode code() {
        return code;
    }
}
