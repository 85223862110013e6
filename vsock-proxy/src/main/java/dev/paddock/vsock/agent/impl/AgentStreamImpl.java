package dev.paddock.vsock.agent.impl;

import dev.paddock.vsock.agent.AgentException;
import dev.paddock.vsock.agent.AgentProtocolException;
import dev.paddock.vsock.agent.AgentStream;
import dev.paddock.vsock.agent.StreamTarget;
import dev.paddock.vsock.agent.wire.Frame;
import dev.paddock.vsock.agent.wire.Op;
import dev.paddock.vsock.agent.wire.Payloads;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;

/** A stream to a guest socket (PROTOCOL.md §8): STREAM_OPEN → STREAM_OPENED → chans 0 and 1 → CLOSE. */
final class AgentStreamImpl implements AgentStream, AgentStreamState {
    private final AgentConnection connection;
    private final long id;
    private final String description;
    private final OutboundChannel outbound;
    private final InboundChannel inbound;
    private final Promise<AgentStream> opened = Promise.promise();
    private final Promise<Void> closed = Promise.promise();
    private boolean finished;

    AgentStreamImpl(AgentConnection connection, long id, StreamTarget target) {
        this.connection = connection;
        this.id = id;
        this.description = "stream to " + describe(target) + " (stream " + id + ")";
        this.outbound = new OutboundChannel(connection.context(), description, Frame.MAX_PAYLOAD,
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
        this.inbound = new InboundChannel(connection.context(), description, connection.initialWindow(),
                n -> connection.sendWindow(id, Op.CHAN_STDOUT, n));
    }

    private static String describe(StreamTarget target) {
        if (target instanceof StreamTarget.UnixSocket unix) {
            return "unix:" + unix.path();
        }
        StreamTarget.TcpPort tcp = (StreamTarget.TcpPort) target;
        return "tcp:" + (tcp.host().isEmpty() ? "127.0.0.1" : tcp.host()) + ":" + tcp.port();
    }

    Future<AgentStream> opened() {
        return opened.future();
    }

    // ---- frames (on the context) ----

    @Override
    public void onFrame(Frame frame) {
        switch (frame.op()) {
            case Op.STREAM_OPENED -> {
                if (opened.future().isComplete() || frame.payload().length() != 0) {
                    throw new AgentProtocolException(frame + " for " + description
                            + ": STREAM_OPENED comes once, with an empty payload (PROTOCOL.md §8)");
                }
                opened.complete(this);
            }
            case Op.DATA, Op.EOF -> {
                if (!opened.future().isComplete()) {
                    throw new AgentProtocolException(frame + " for " + description + " before STREAM_OPENED");
                }
                if (frame.chan() != Op.CHAN_STDOUT) {
                    throw new AgentProtocolException(frame + " for " + description
                            + ": a stream uses chan 1 only from the agent (PROTOCOL.md §5)");
                }
                if (inbound.endReceived()) {
                    finished = true;
                    connection.streamProtocolError(id, this, Op.name(frame.op()) + " on " + description
                            + " after its EOF (PROTOCOL.md §5)");
                } else if (frame.op() == Op.EOF) {
                    inbound.receiveEnd();
                } else if (frame.payload().length() == 0) {
                    throw new AgentProtocolException("empty DATA for " + description + " (PROTOCOL.md §5)");
                } else {
                    inbound.receive(frame.payload());
                }
            }
            case Op.WINDOW -> outbound.receiveCredit(Payloads.windowIncrement(frame.payload()));
            case Op.CLOSE -> {
                finish();
                inbound.receiveEnd();
                outbound.fail(new AgentException(description + " is closed; nothing more can be written"));
                closed.complete();
            }
            case Op.ERROR -> {
                if ((frame.flags() & Op.ERROR_FLAG_NONFATAL) != 0) {
                    return; // nothing on a socket stream is refused non-fatally in 1.0; the stream goes on
                }
                finish();
                fail(Payloads.error(description, frame.payload()));
            }
            case Op.RESET -> {
                finish();
                fail(new AgentException("the " + connection.describe() + " reset " + description));
            }
            default -> throw new AgentProtocolException(frame + " on " + description
                    + "; a stream carries STREAM_OPENED, DATA, EOF, WINDOW, CLOSE, ERROR or RESET (PROTOCOL.md §8)");
        }
    }

    private void finish() {
        finished = true;
        connection.finished(id);
    }

    @Override
    public void fail(Throwable cause) {
        opened.tryFail(cause);
        closed.tryFail(cause);
        inbound.fail(cause);
        outbound.fail(cause);
    }

    // ---- AgentStream (any thread) ----

    @Override
    public AgentStream exceptionHandler(Handler<Throwable> handler) {
        inbound.exceptionHandler(handler);
        return this;
    }

    @Override
    public AgentStream handler(Handler<Buffer> handler) {
        inbound.handler(handler);
        return this;
    }

    @Override
    public AgentStream pause() {
        inbound.pause();
        return this;
    }

    @Override
    public AgentStream resume() {
        inbound.resume();
        return this;
    }

    @Override
    public AgentStream fetch(long amount) {
        inbound.fetch(amount);
        return this;
    }

    @Override
    public AgentStream endHandler(Handler<Void> endHandler) {
        inbound.endHandler(endHandler);
        return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
        return outbound.write(data);
    }

    @Override
    public Future<Void> end() {
        return outbound.end();
    }

    @Override
    public AgentStream setWriteQueueMaxSize(int maxSize) {
        outbound.setWriteQueueMaxSize(maxSize);
        return this;
    }

    @Override
    public boolean writeQueueFull() {
        return outbound.writeQueueFull();
    }

    @Override
    public AgentStream drainHandler(Handler<Void> handler) {
        outbound.drainHandler(handler);
        return this;
    }

    @Override
    public Future<Void> closed() {
        return closed.future();
    }

    @Override
    public Future<Void> reset() {
        Promise<Void> done = Promise.promise();
        Runnable action = () -> {
            if (!finished) {
                finish();
                connection.sendResetOf(id);
                fail(new AgentException(description + " was reset by reset()"));
            }
            done.complete();
        };
        if (Vertx.currentContext() == connection.context()) {
            action.run();
        } else {
            connection.context().runOnContext(v -> action.run());
        }
        return done.future();
    }
}
