package dev.paddock.vsock.splice;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/**
 * A byte stream with two independent halves, as a vsock stream, an agent stream and a half-closable host socket
 * all are: the read half ends ({@code endHandler}) when the peer shut down its sending side, {@link #end()} shuts
 * down our sending side once the queued bytes are out, and the stream is {@link #closed()} when both halves are
 * done or it was aborted. {@link Splice} joins two of them.
 */
public interface DuplexStream extends ReadStream<Buffer>, WriteStream<Buffer> {

    @Override
    DuplexStream exceptionHandler(Handler<Throwable> handler);

    @Override
    DuplexStream handler(Handler<Buffer> handler);

    @Override
    DuplexStream pause();

    @Override
    DuplexStream resume();

    @Override
    DuplexStream fetch(long amount);

    @Override
    DuplexStream endHandler(Handler<Void> endHandler);

    @Override
    DuplexStream setWriteQueueMaxSize(int maxSize);

    @Override
    DuplexStream drainHandler(Handler<Void> handler);

    /** Half-closes: the peer reads end-of-file after the bytes written so far. Reading goes on. */
    @Override
    Future<Void> end();

    /** Completes when both halves are done; fails when the stream was aborted or broke. */
    Future<Void> closed();

    /** Tears the stream down at once, both halves; queued bytes are dropped. */
    void abort();

    /** What this stream connects to, for messages. */
    String describe();
}
