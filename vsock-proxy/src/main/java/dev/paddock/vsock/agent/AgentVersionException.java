package dev.paddock.vsock.agent;

/** The agent speaks a protocol major version this client does not (PROTOCOL.md §4); connect fails with it. */
public final class AgentVersionException extends AgentProtocolException {
    private static final long serialVersionUID = 1L;

    public AgentVersionException(String message) {
        super(AgentErrorCode.UNSUPPORTED_VERSION, message);
    }
}
