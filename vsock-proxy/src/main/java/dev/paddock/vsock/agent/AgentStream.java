package dev.paddock.vsock.agent;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/**
 * A byte stream to a socket in the guest, opened by {@link AgentClient#openStream}: reading gives the bytes the
 * guest socket sent, writing sends bytes into it, {@link #end()} half-closes it. Both halves have credit-based
 * back-pressure, so {@code pipeTo} in either direction is bounded.
 */
public interface AgentStream extends ReadStream<Buffer>, WriteStream<Buffer> {
    @Override
    AgentStream exceptionHandler(Handler<Throwable> handler);

    @Override
    AgentStream handler(Handler<Buffer> handler);

    @Override
    AgentStream pause();

    @Override
    AgentStream resume();

    @Override
    AgentStream fetch(long amount);

    @Override
    AgentStream endHandler(Handler<Void> endHandler);

    @Override
    AgentStream setWriteQueueMaxSize(int maxSize);

    @Override
    AgentStream drainHandler(Handler<Void> handler);

    /** Completes when the agent reports both directions finished (CLOSE); fails on an error or a lost connection. */
    Future<Void> closed();

    /** Aborts the stream at once (RESET): the agent closes the guest socket. */
    Future<Void> reset();
}
