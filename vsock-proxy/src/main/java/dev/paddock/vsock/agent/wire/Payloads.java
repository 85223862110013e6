package dev.paddock.vsock.agent.wire;

import dev.paddock.vsock.agent.AgentErrorCode;
import dev.paddock.vsock.agent.AgentErrorReply;
import dev.paddock.vsock.agent.AgentProtocolException;
import dev.paddock.vsock.agent.ExecRequest;
import dev.paddock.vsock.agent.ExitStatus;
import dev.paddock.vsock.agent.FsInvalidated;
import dev.paddock.vsock.agent.FsInvalidation;
import dev.paddock.vsock.agent.Health;
import dev.paddock.vsock.agent.StreamTarget;
import dev.paddock.vsock.agent.TtySize;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;

/** The payloads of PROTOCOL.md §6 to §8, other than HELLO: what the host encodes and what it decodes. */
public final class Payloads {
    /** §6.1 {@code flags} bit 0. */
    public static final int EXEC_FLAG_TTY = 0x1;
    /** §8 {@code kind}. */
    public static final int STREAM_KIND_UNIX = 1;
    public static final int STREAM_KIND_TCP = 2;
    /** §6.3 {@code kind}. */
    public static final int EXIT_KIND_EXITED = 0;
    public static final int EXIT_KIND_SIGNALED = 1;
    /** §3: signal numbers are 1 ..= 64 (Linux numbering, SIGRTMAX = 64). */
    public static final int MAX_SIGNAL = 64;
    /** §7 and §10: an ERROR message is at most 1024 bytes. */
    public static final int MAX_ERROR_MESSAGE_BYTES = 1024;

    private Payloads() {
    }

    /** §6.1. */
    public static Buffer exec(ExecRequest request) {
        TtySize tty = request.tty().orElse(null);
        PayloadWriter w = new PayloadWriter()
                .u32(tty != null ? EXEC_FLAG_TTY : 0)
                .u16(tty != null ? tty.rows() : 0)
                .u16(tty != null ? tty.cols() : 0)
                .str(request.user())
                .str(request.cwd())
                .u32(request.argv().size());
        request.argv().forEach(w::str);
        w.u32(request.env().size());
        request.env().forEach(w::str);
        return w.buffer();
    }

    /** §3 SIGNAL. */
    public static Buffer signal(int signo) {
        return new PayloadWriter().u32(signo).buffer();
    }

    /** §3 RESIZE. */
    public static Buffer resize(TtySize size) {
        return new PayloadWriter().u16(size.rows()).u16(size.cols()).buffer();
    }

    /** §3 WINDOW. */
    public static Buffer window(long increment) {
        return new PayloadWriter().u32(increment).buffer();
    }

    /** §3 SHUTDOWN: flags, which must be 0. */
    public static Buffer shutdown() {
        return new PayloadWriter().u32(0).buffer();
    }

    /** §8. */
    public static Buffer streamOpen(StreamTarget target) {
        if (target instanceof StreamTarget.UnixSocket unix) {
            return new PayloadWriter().u8(STREAM_KIND_UNIX).u8(0).u16(0).str(unix.path()).buffer();
        }
        StreamTarget.TcpPort tcp = (StreamTarget.TcpPort) target;
        return new PayloadWriter().u8(STREAM_KIND_TCP).u8(0).u16(tcp.port()).str(tcp.host()).buffer();
    }

    /** §7 ERROR, as the host sends it. */
    public static Buffer error(AgentErrorCode code, String message) {
        byte[] text = message.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (text.length > MAX_ERROR_MESSAGE_BYTES) {
            text = java.util.Arrays.copyOf(text, MAX_ERROR_MESSAGE_BYTES);
        }
        return new PayloadWriter().u32(code.wire()).u32(0).bytes(text).buffer();
    }

    /** §3 EXEC_STARTED. */
    public static long execStarted(Buffer payload) {
        PayloadReader r = new PayloadReader("EXEC_STARTED", payload);
        long pid = r.u32();
        r.end();
        return pid;
    }

    /** §6.3. */
    public static ExitStatus exit(Buffer payload) {
        PayloadReader r = new PayloadReader("EXIT", payload);
        int kind = r.u8();
        int core = r.u8();
        int reserved = r.u16();
        long value = r.u32();
        r.end();
        // GUEST-CONTROLLED: kind, code and signal are checked against §6.3 before they reach users.
        if (reserved != 0 || core > 1) {
            throw new AgentProtocolException("EXIT has reserved " + reserved + " and core " + core
                    + "; reserved must be 0 and core 0 or 1 (PROTOCOL.md §6.3)");
        }
        if (kind == EXIT_KIND_EXITED && value <= 255 && core == 0) {
            return new ExitStatus.Exited((int) value);
        }
        if (kind == EXIT_KIND_SIGNALED && value >= 1 && value <= MAX_SIGNAL) {
            return new ExitStatus.Signaled((int) value, core == 1);
        }
        throw new AgentProtocolException("EXIT kind " + kind + " value " + value + " core " + core
                + " is not an exit code 0..255 (kind 0) or a signal 1..64 (kind 1) (PROTOCOL.md §6.3)");
    }

    /** §6.4. */
    public static Health healthReply(Buffer payload) {
        PayloadReader r = new PayloadReader("HEALTH_REPLY", payload);
        int major = r.u16();
        int minor = r.u16();
        long flags = r.u32();
        long uptimeMs = r.u64();
        long children = r.u32();
        String software = r.str("software", HelloMessage.MAX_SOFTWARE_BYTES);
        r.end();
        if (uptimeMs < 0) {
            throw new AgentProtocolException("HEALTH_REPLY uptime_ms " + Long.toUnsignedString(uptimeMs)
                    + " does not fit a signed 64-bit count of milliseconds");
        }
        return new Health(major, minor, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) != 0,
                Duration.ofMillis(uptimeMs), children, software);
    }

    /** §13 FS_INVALIDATE flag bits. */
    public static final int FS_DROP_ENTRIES = 0x1;
    public static final int FS_OPEN_FILES = 0x2;

    /** §13. */
    public static Buffer fsInvalidate(FsInvalidation request) {
        PayloadWriter w = new PayloadWriter()
                .u32((request.dropEntries() ? FS_DROP_ENTRIES : 0) | (request.openFiles() ? FS_OPEN_FILES : 0))
                .u32(request.paths().size());
        request.paths().forEach(w::str);
        return w.buffer();
    }

    /** §13. */
    public static FsInvalidated fsInvalidated(Buffer payload) {
        PayloadReader r = new PayloadReader("FS_INVALIDATED", payload);
        long refreshed = r.u32();
        long missing = r.u32();
        long failed = r.u32();
        long flags = r.u32();
        r.end();
        // GUEST-CONTROLLED: only the two flag bits §13 defines.
        if ((flags & ~(long) (FS_DROP_ENTRIES | FS_OPEN_FILES)) != 0) {
            throw new AgentProtocolException("FS_INVALIDATED flags 0x" + Long.toHexString(flags)
                    + " set bits PROTOCOL.md §13 does not define");
        }
        return new FsInvalidated(refreshed, missing, failed, (flags & FS_DROP_ENTRIES) != 0,
                (flags & FS_OPEN_FILES) != 0);
    }

    /** §3 WINDOW increment, at least 1. */
    public static long windowIncrement(Buffer payload) {
        PayloadReader r = new PayloadReader("WINDOW", payload);
        long inc = r.u32();
        r.end();
        if (inc < 1) {
            throw new AgentProtocolException("WINDOW increment is 0; it must be at least 1 (PROTOCOL.md §3)");
        }
        return inc;
    }

    /** §7: decodes an agent's ERROR into the exception that reports it. */
    public static AgentErrorReply error(String context, Buffer payload) {
        PayloadReader r = new PayloadReader("ERROR", payload);
        long code = r.u32();
        long errno = r.u32();
        // GUEST-CONTROLLED: the message is bounded before it becomes a String.
        if (payload.length() - 8 > MAX_ERROR_MESSAGE_BYTES) {
            throw new AgentProtocolException("ERROR message is " + (payload.length() - 8) + " bytes; at most "
                    + MAX_ERROR_MESSAGE_BYTES + " (PROTOCOL.md §7)");
        }
        String message = r.rest();
        AgentErrorCode c = AgentErrorCode.fromWire(code);
        if (c == AgentErrorCode.UNKNOWN) {
            message = "(code " + code + ") " + message;
        }
        return new AgentErrorReply(context, c, (int) errno, message);
    }
}
