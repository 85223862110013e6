package dev.paddock.vsock.agent.wire;

/** The operation codes of PROTOCOL.md §3 (the header's {@code op} byte). */
public final class Op {
    public static final int HELLO = 0x01;
    public static final int ERROR = 0x02;
    public static final int EXEC = 0x10;
    public static final int EXEC_STARTED = 0x11;
    public static final int EXIT = 0x12;
    public static final int SIGNAL = 0x13;
    public static final int RESIZE = 0x14;
    public static final int STREAM_OPEN = 0x20;
    public static final int STREAM_OPENED = 0x21;
    public static final int DATA = 0x30;
    public static final int EOF = 0x31;
    public static final int WINDOW = 0x32;
    public static final int RESET = 0x33;
    public static final int CLOSE = 0x34;
    public static final int HEALTH = 0x40;
    public static final int HEALTH_REPLY = 0x41;
    /** Since 1.1 (§13). */
    public static final int FS_INVALIDATE = 0x44;
    public static final int FS_INVALIDATED = 0x45;
    public static final int SHUTDOWN = 0x50;
    public static final int SHUTTING_DOWN = 0x51;
    /** Reserved for the egress hooks (§9); a 1.0 agent never sends them and this client does not set EGRESS. */
    public static final int EGRESS_CONNECT = 0x60;
    public static final int DNS_QUERY = 0x68;
    public static final int DNS_REPLY = 0x69;

    /** {@code ERROR} flag bit 0: the stream stays open (§7). */
    public static final int ERROR_FLAG_NONFATAL = 0x01;

    /** Data channels (§5). */
    public static final int CHAN_STDIN = 0;
    public static final int CHAN_STDOUT = 1;
    public static final int CHAN_STDERR = 2;

    private Op() {
    }

    /** True for the ops that carry a data channel in the header's {@code chan} byte. */
    public static boolean hasChannel(int op) {
        return op == DATA || op == EOF || op == WINDOW;
    }

    public static String name(int op) {
        return switch (op) {
            case HELLO -> "HELLO";
            case ERROR -> "ERROR";
            case EXEC -> "EXEC";
            case EXEC_STARTED -> "EXEC_STARTED";
            case EXIT -> "EXIT";
            case SIGNAL -> "SIGNAL";
            case RESIZE -> "RESIZE";
            case STREAM_OPEN -> "STREAM_OPEN";
            case STREAM_OPENED -> "STREAM_OPENED";
            case DATA -> "DATA";
            case EOF -> "EOF";
            case WINDOW -> "WINDOW";
            case RESET -> "RESET";
            case CLOSE -> "CLOSE";
            case HEALTH -> "HEALTH";
            case HEALTH_REPLY -> "HEALTH_REPLY";
            case FS_INVALIDATE -> "FS_INVALIDATE";
            case FS_INVALIDATED -> "FS_INVALIDATED";
            case SHUTDOWN -> "SHUTDOWN";
            case SHUTTING_DOWN -> "SHUTTING_DOWN";
            case EGRESS_CONNECT -> "EGRESS_CONNECT";
            case DNS_QUERY -> "DNS_QUERY";
            case DNS_REPLY -> "DNS_REPLY";
            default -> String.format("op 0x%02x", op);
        };
    }
}
