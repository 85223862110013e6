package dev.paddock.vsock.agent.impl;

import dev.paddock.vsock.agent.AgentErrorReply;
import dev.paddock.vsock.agent.AgentException;
import dev.paddock.vsock.agent.AgentProtocolException;
import dev.paddock.vsock.agent.ExecProcess;
import dev.paddock.vsock.agent.ExecRequest;
import dev.paddock.vsock.agent.ExitStatus;
import dev.paddock.vsock.agent.TtySize;
import dev.paddock.vsock.agent.wire.Frame;
import dev.paddock.vsock.agent.wire.Op;
import dev.paddock.vsock.agent.wire.Payloads;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/** An exec stream (PROTOCOL.md §6): EXEC → EXEC_STARTED → data on chans 0..2 → EOFs → EXIT. */
final class ExecProcessImpl implements ExecProcess, AgentStreamState {
    private final AgentConnection connection;
    private final long id;
    private final String description;
    private final boolean tty;
    private final OutboundChannel stdin;
    private final InboundChannel stdout;
    private final InboundChannel stderr;
    private final Promise<ExecProcess> started = Promise.promise();
    private final Promise<ExitStatus> exit = Promise.promise();
    private long pid = -1;
    private boolean finished;
    private volatile Handler<AgentErrorReply> nonFatalHandler; // set from any thread, read on the context

    ExecProcessImpl(AgentConnection connection, long id, ExecRequest request) {
        this.connection = connection;
        this.id = id;
        this.description = "exec " + request.argv().get(0) + " (stream " + id + ")";
        this.tty = request.tty().isPresent();
        this.stdin = new OutboundChannel(connection.context(), description + " stdin", Frame.MAX_PAYLOAD,
                connection.agentWindow(), new OutboundChannel.FrameSink() {
                    @Override
                    public Future<Void> sendData(Buffer chunk) {
                        return connection.sendData(id, chunk);
                    }

                    @Override
                    public Future<Void> sendEnd() {
                        return connection.sendEof(id);
                    }
                });
        this.stdout = new InboundChannel(connection.context(), description + " stdout", connection.initialWindow(),
                n -> connection.sendWindow(id, Op.CHAN_STDOUT, n));
        this.stderr = new InboundChannel(connection.context(), description + " stderr", connection.initialWindow(),
                n -> connection.sendWindow(id, Op.CHAN_STDERR, n));
        if (tty) {
            stderr.receiveEnd(); // §6.2 step 5: with a tty, chan 2 carries nothing and gets no EOF
        }
    }

    Future<ExecProcess> started() {
        return started.future();
    }

    // ---- frames (on the context) ----

    @Override
    public void onFrame(Frame frame) {
        switch (frame.op()) {
            case Op.EXEC_STARTED -> {
                if (pid >= 0) {
                    throw new AgentProtocolException("second EXEC_STARTED for " + description);
                }
                pid = Payloads.execStarted(frame.payload());
                started.complete(this);
            }
            case Op.DATA, Op.EOF -> {
                requireStarted(frame);
                InboundChannel channel = frame.chan() == Op.CHAN_STDOUT ? stdout : stderr;
                if (tty && channel == stderr) {
                    throw new AgentProtocolException(frame + " for " + description
                            + ", which has a tty: chan 2 is never used with a tty (PROTOCOL.md §5)");
                }
                if (channel.endReceived()) {
                    finished = true;
                    connection.streamProtocolError(id, this, Op.name(frame.op()) + " on " + description + " chan "
                            + frame.chan() + " after its EOF (PROTOCOL.md §5)");
                    return;
                }
                if (frame.op() == Op.DATA) {
                    if (frame.payload().length() == 0) {
                        throw new AgentProtocolException("empty DATA for " + description
                                + "; DATA carries 1..65536 bytes (PROTOCOL.md §5)");
                    }
                    channel.receive(frame.payload());
                } else {
                    channel.receiveEnd();
                }
            }
            case Op.WINDOW -> stdin.receiveCredit(Payloads.windowIncrement(frame.payload()));
            case Op.EXIT -> {
                requireStarted(frame);
                ExitStatus status = Payloads.exit(frame.payload());
                finish();
                // §6.2 step 5 puts the output EOFs before EXIT; should one be missing, end the output here rather
                // than leave a reader waiting for an end that can no longer come (the stream id is gone).
                stdout.receiveEnd();
                stderr.receiveEnd();
                stdin.fail(new AgentException(description + " has exited; its stdin is closed"));
                exit.complete(status);
            }
            case Op.ERROR -> {
                AgentErrorReply reply = Payloads.error(description, frame.payload());
                if ((frame.flags() & Op.ERROR_FLAG_NONFATAL) != 0) {
                    Handler<AgentErrorReply> h = nonFatalHandler;
                    if (h != null) {
                        h.handle(reply);
                    }
                    return;
                }
                finish();
                fail(reply);
            }
            case Op.RESET -> {
                finish();
                fail(new AgentException("the " + connection.describe() + " reset " + description));
            }
            default -> throw new AgentProtocolException(frame + " on " + description
                    + "; an exec stream carries EXEC_STARTED, DATA, EOF, WINDOW, EXIT, ERROR or RESET"
                    + " (PROTOCOL.md §6)");
        }
    }

    private void requireStarted(Frame frame) {
        if (pid < 0) {
            throw new AgentProtocolException(frame + " for " + description + " before EXEC_STARTED (PROTOCOL.md §6.2)");
        }
    }

    private void finish() {
        finished = true;
        connection.finished(id);
    }

    @Override
    public void fail(Throwable cause) {
        started.tryFail(cause);
        exit.tryFail(cause);
        stdin.fail(cause);
        stdout.fail(cause);
        stderr.fail(cause);
    }

    // ---- ExecProcess (any thread) ----

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public WriteStream<Buffer> stdin() {
        return stdin;
    }

    @Override
    public ReadStream<Buffer> stdout() {
        return stdout;
    }

    @Override
    public ReadStream<Buffer> stderr() {
        return stderr;
    }

    @Override
    public Future<Void> closeStdin() {
        return stdin.end();
    }

    @Override
    public Future<Void> signal(int signo) {
        if (signo < 1 || signo > Payloads.MAX_SIGNAL) {
            return Future.failedFuture(new IllegalArgumentException("signal " + signo + " for " + description
                    + " is out of range 1.." + Payloads.MAX_SIGNAL + " (Linux numbering)"));
        }
        return onContext(() -> finished ? Future.succeededFuture()
                : connection.send(Frame.of(id, Op.SIGNAL, Payloads.signal(signo))));
    }

    @Override
    public Future<Void> resize(int rows, int cols) {
        if (!tty) {
            return Future.failedFuture(new IllegalStateException(description
                    + " has no tty; resize needs an ExecRequest withTty(rows, cols)"));
        }
        TtySize size;
        try {
            size = new TtySize(rows, cols);
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(e);
        }
        return onContext(() -> finished ? Future.succeededFuture()
                : connection.send(Frame.of(id, Op.RESIZE, Payloads.resize(size))));
    }

    @Override
    public Future<Void> kill() {
        return onContext(() -> {
            if (finished) {
                return Future.succeededFuture();
            }
            finish();
            connection.sendResetOf(id);
            fail(new AgentException(description + " was killed by kill() (RESET) before it reported an exit status"));
            return Future.succeededFuture();
        });
    }

    @Override
    public Future<ExitStatus> exitStatus() {
        return exit.future();
    }

    @Override
    public ExecProcess nonFatalErrorHandler(Handler<AgentErrorReply> handler) {
        this.nonFatalHandler = handler;
        return this;
    }

    private Future<Void> onContext(java.util.function.Supplier<Future<Void>> action) {
        if (Vertx.currentContext() == connection.context()) {
            return action.get();
        }
        Promise<Void> done = Promise.promise();
        connection.context().runOnContext(v -> action.get().onComplete(done));
        return done.future();
    }
}
