package dev.paddock.daemon.bus;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The codec of one immutable record message type. Locally the record itself is delivered (it is immutable, so
 * sharing it is safe and costs nothing); on the wire (a clustered or bridged event bus) it is JSON, length-prefixed,
 * read back with Jackson's record support.
 *
 * @param <T> the record type
 */
public final class RecordCodec<T extends Record> implements MessageCodec<T, T> {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private final Class<T> type;

    public RecordCodec(Class<T> type) {
        this.type = type;
    }

    @Override
    public void encodeToWire(Buffer buffer, T message) {
        try {
            byte[] json = JSON.writeValueAsBytes(message);
            buffer.appendInt(json.length).appendBytes(json);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + type.getSimpleName() + " as JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public T decodeFromWire(int pos, Buffer buffer) {
        int length = buffer.getInt(pos);
        try {
            return JSON.readValue(buffer.getBytes(pos + 4, pos + 4 + length), type);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + type.getSimpleName() + " from JSON: " + e.getMessage(), e);
        }
    }

    @Override
    public T transform(T message) {
        return message;
    }

    @Override
    public String name() {
        return "paddock." + type.getName();
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
