package dev.paddock.vsock.agent.impl;

import dev.paddock.vsock.agent.AgentException;
import dev.paddock.vsock.agent.AgentProtocolException;
import dev.paddock.vsock.agent.wire.Frame;
import dev.paddock.vsock.agent.wire.Op;
import dev.paddock.vsock.agent.wire.Payloads;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import java.util.function.Function;

/** A stream that is one request and its one final reply: HEALTH → HEALTH_REPLY,
 * FS_INVALIDATE → FS_INVALIDATED, SHUTDOWN → SHUTTING_DOWN. */
final class AgentRequest<T> implements AgentStreamState {
    private final AgentConnection connection;
    private final long id;
    private final String name;
    private final int replyOp;
    private final Function<Buffer, T> decode;
    private final Promise<T> reply = Promise.promise();

    AgentRequest(AgentConnection connection, long id, String name, int replyOp, Function<Buffer, T> decode) {
        this.connection = connection;
        this.id = id;
        this.name = name;
        this.replyOp = replyOp;
        this.decode = decode;
    }

    Future<T> reply() {
        return reply.future();
    }

    @Override
    public void onFrame(Frame frame) {
        if (frame.op() == replyOp) {
            T value = decode.apply(frame.payload());
            connection.finished(id);
            reply.tryComplete(value);
        } else if (frame.op() == Op.ERROR && (frame.flags() & Op.ERROR_FLAG_NONFATAL) == 0) {
            connection.finished(id);
            reply.tryFail(Payloads.error(name + " on stream " + id, frame.payload()));
        } else if (frame.op() == Op.ERROR) {
            return; // a non-fatal error has nothing to attach to on a request; the final reply still comes
        } else if (frame.op() == Op.RESET) {
            connection.finished(id);
            reply.tryFail(new AgentException("the " + connection.describe() + " reset the " + name + " request"));
        } else {
            throw new AgentProtocolException(frame + " on a " + name + " stream; expected " + Op.name(replyOp)
                    + " (PROTOCOL.md §3)");
        }
    }

    @Override
    public void fail(Throwable cause) {
        reply.tryFail(cause);
    }
}
