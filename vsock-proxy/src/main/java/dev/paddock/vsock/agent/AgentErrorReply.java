package dev.paddock.vsock.agent;

/**
 * The agent answered with an {@code ERROR} frame (PROTOCOL.md §7): an exec that could not start, a stream that
 * could not connect, a limit, or a connection error the agent reported before closing.
 */
public final class AgentErrorReply extends AgentException {
    private static final long serialVersionUID = 1L;
    private final AgentErrorCode code;
    private final int errno;
    private final String agentMessage;

    public AgentErrorReply(String context, AgentErrorCode code, int errno, String agentMessage) {
        super(context + ": agent error " + code + (errno != 0 ? " (errno " + errno + ")" : "") + ": " + agentMessage);
        this.code = code;
        this.errno = errno;
        this.agentMessage = agentMessage;
    }

    public AgentErrorCode code() {
        return code;
    }

    /** The Linux errno behind the error, or 0. */
    public int errno() {
        return errno;
    }

    /** The agent's own message, as it sent it. */
    public String agentMessage() {
        return agentMessage;
    }
}
