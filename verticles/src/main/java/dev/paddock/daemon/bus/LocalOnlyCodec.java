package dev.paddock.daemon.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;

/**
 * The codec of a message that holds a live object (a connection) or a secret value and therefore never leaves
 * this JVM. Sending one
 * across a clustered or bridged bus is a programming error and fails loudly.
 *
 * @param <T> the record type
 */
public final class LocalOnlyCodec<T extends Record> implements MessageCodec<T, T> {
    private final Class<T> type;
    private final String why;

    /** @param why what makes it local, e.g. "holds a live agent connection" */
    public LocalOnlyCodec(Class<T> type, String why) {
        this.type = type;
        this.why = why;
    }

    @Override
    public void encodeToWire(Buffer buffer, T message) {
        throw new IllegalStateException(type.getSimpleName() + " " + why + " and is local to the daemon's JVM;"
                + " remote callers use the REST API instead of this address");
    }

    @Override
    public T decodeFromWire(int pos, Buffer buffer) {
        throw new IllegalStateException(type.getSimpleName() + " never travels on the wire; see encodeToWire");
    }

    @Override
    public T transform(T message) {
        return message;
    }

    @Override
    public String name() {
        return "paddock.local." + type.getName();
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
