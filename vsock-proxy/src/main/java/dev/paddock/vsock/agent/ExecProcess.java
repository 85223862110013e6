package dev.paddock.vsock.agent;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/**
 * A running process in the guest, started by {@link AgentClient#exec}.
 *
 * <p>Output waits in the client until read: a stream with no handler, or a paused one, grants the agent no more
 * credit, so the process blocks at its next write once the window is full. Set a handler (or {@code pipeTo}) on
 * both {@link #stdout()} and {@link #stderr()}, or the process may never exit.
 */
public interface ExecProcess {
    /** The process id in the guest. */
    long pid();

    /** Bytes for the process's stdin; writes beyond the agent's credit wait here (see writeQueueFull). */
    WriteStream<Buffer> stdin();

    /** The process's stdout; with a tty, all terminal output. Ends at the process's end-of-output. */
    ReadStream<Buffer> stdout();

    /** The process's stderr; with a tty it is empty and ends at once. */
    ReadStream<Buffer> stderr();

    /**
     * Closes stdin once the queued bytes are written. With a tty the agent ignores it (PROTOCOL.md §6.2 step 3):
     * write byte 0x04 for an end-of-file at a prompt.
     */
    Future<Void> closeStdin();

    /** Sends a signal (1..64, Linux numbering) to the process group. Succeeds once sent. */
    Future<Void> signal(int signo);

    /** Resizes the tty; fails at once for a process without one. */
    Future<Void> resize(int rows, int cols);

    /** Kills the process group with SIGKILL and forgets the stream (RESET); exitStatus() then fails. */
    Future<Void> kill();

    /** How the process ended; fails when the exec is reset or the connection is lost first. */
    Future<ExitStatus> exitStatus();

    /** Non-fatal errors the agent reports on this exec (a refused signal or resize). */
    ExecProcess nonFatalErrorHandler(Handler<AgentErrorReply> handler);
}
