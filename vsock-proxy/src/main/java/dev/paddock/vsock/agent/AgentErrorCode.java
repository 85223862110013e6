package dev.paddock.vsock.agent;

/** The {@code ERROR} codes of PROTOCOL.md §7, with their wire values. */
public enum AgentErrorCode {
    PROTOCOL(1),
    UNSUPPORTED_VERSION(2),
    UNKNOWN_OP(3),
    NOT_IMPLEMENTED(4),
    FRAME_TOO_LARGE(5),
    TOO_MANY_STREAMS(6),
    STREAM_IN_USE(7),
    FLOW_CONTROL(8),
    LIMIT(9),
    EXEC_FAILED(10),
    USER_UNKNOWN(11),
    CWD(12),
    CONNECT_FAILED(13),
    IO(14),
    SHUTTING_DOWN(15),
    POLICY_DENIED(16),
    INTERNAL(17),
    /** A code this client does not know (a newer minor version may add codes); the raw value is in the message. */
    UNKNOWN(0);

    private final int wire;

    AgentErrorCode(int wire) {
        this.wire = wire;
    }

    public int wire() {
        return wire;
    }

    public static AgentErrorCode fromWire(long code) {
        for (AgentErrorCode c : values()) {
            if (c.wire == code && c != UNKNOWN) {
                return c;
            }
        }
        return UNKNOWN;
    }
}
