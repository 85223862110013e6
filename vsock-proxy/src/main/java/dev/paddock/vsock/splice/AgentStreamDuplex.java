package dev.paddock.vsock.splice;

import dev.paddock.vsock.agent.AgentStream;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/** An agent stream (PROTOCOL.md §8) as a {@link DuplexStream}: EOF on chan 1 ends reading, {@link #end()} sends EOF on chan 0. */
public final class AgentStreamDuplex implements DuplexStream {
    private final AgentStream stream;
    private final String description;

    public AgentStreamDuplex(AgentStream stream, String description) {
        this.stream = stream;
        this.description = description;
    }

    @Override
    public AgentStreamDuplex exceptionHandler(Handler<Throwable> handler) {
        stream.exceptionHandler(handler);
        return this;
    }

    @Override
    public AgentStreamDuplex handler(Handler<Buffer> handler) {
        stream.handler(handler);
        return this;
    }

    @Override
    public AgentStreamDuplex pause() {
        stream.pause();
        return this;
    }

    @Override
    public AgentStreamDuplex resume() {
        stream.resume();
        return this;
    }

    @Override
    public AgentStreamDuplex fetch(long amount) {
        stream.fetch(amount);
        return this;
    }

    @Override
    public AgentStreamDuplex endHandler(Handler<Void> endHandler) {
        stream.endHandler(endHandler);
        return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
        return stream.write(data);
    }

    @Override
    public Future<Void> end() {
        return stream.end();
    }

    @Override
    public AgentStreamDuplex setWriteQueueMaxSize(int maxSize) {
        stream.setWriteQueueMaxSize(maxSize);
        return this;
    }

    @Override
    public boolean writeQueueFull() {
        return stream.writeQueueFull();
    }

    @Override
    public AgentStreamDuplex drainHandler(Handler<Void> handler) {
        stream.drainHandler(handler);
        return this;
    }

    @Override
    public Future<Void> closed() {
        return stream.closed();
    }

    @Override
    public void abort() {
        stream.reset();
    }

    @Override
    public String describe() {
        return description;
    }
}
