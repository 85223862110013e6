package dev.paddock.vsock.agent.wire;

import dev.paddock.vsock.agent.AgentErrorCode;
import dev.paddock.vsock.agent.AgentProtocolException;
import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Frames to bytes and back (PROTOCOL.md §1). {@link #encode} is stateless; a {@link Decoder} is fed the
 * connection's bytes as they arrive and hands out whole frames, refusing a bad header as soon as it is seen.
 */
public final class FrameCodec {
    private FrameCodec() {
    }

    public static Buffer encode(Frame frame) {
        Buffer out = Buffer.buffer(Frame.HEADER_BYTES + frame.payload().length());
        out.appendUnsignedIntLE(frame.payload().length());
        out.appendUnsignedIntLE(frame.stream());
        out.appendUnsignedByte((short) frame.op());
        out.appendUnsignedByte((short) frame.chan());
        out.appendUnsignedByte((short) frame.flags());
        out.appendUnsignedByte((short) 0);
        out.appendBuffer(frame.payload());
        return out;
    }

    /** An incremental decoder for one connection's byte stream. Not thread-safe: one connection, one context. */
    public static final class Decoder {
        private final Consumer<Frame> frames;
        private Buffer pending = Buffer.buffer();
        private int offset;

        public Decoder(Consumer<Frame> frames) {
            this.frames = frames;
        }

        /**
         * Consumes bytes; calls the consumer for each complete frame.
         *
         * @throws AgentProtocolException on a header that breaks §1; the decoder must then be discarded
         */
        public void feed(Buffer bytes) {
            pending.appendBuffer(bytes);
            while (pending.length() - offset >= Frame.HEADER_BYTES) {
                long length = pending.getUnsignedIntLE(offset);
                // GUEST-CONTROLLED: length is checked before any byte of the payload is awaited or buffered.
                if (length > Frame.MAX_PAYLOAD) {
                    throw new AgentProtocolException(AgentErrorCode.FRAME_TOO_LARGE, "frame length " + length
                            + " exceeds MAX_PAYLOAD " + Frame.MAX_PAYLOAD + " (PROTOCOL.md §1)");
                }
                int reserved = pending.getUnsignedByte(offset + 11);
                if (reserved != 0) {
                    throw new AgentProtocolException("frame header reserved byte is " + reserved
                            + ", must be 0 (PROTOCOL.md §1)");
                }
                if (pending.length() - offset < Frame.HEADER_BYTES + length) {
                    break;
                }
                long stream = pending.getUnsignedIntLE(offset + 4);
                int op = pending.getUnsignedByte(offset + 8);
                int chan = pending.getUnsignedByte(offset + 9);
                int flags = pending.getUnsignedByte(offset + 10);
                int start = offset + Frame.HEADER_BYTES;
                Buffer payload = pending.getBuffer(start, start + (int) length);
                offset = start + (int) length;
                frames.accept(new Frame(stream, op, chan, flags, payload));
            }
            if (offset == pending.length()) {
                pending = Buffer.buffer();
                offset = 0;
            } else if (offset > 0) {
                pending = pending.getBuffer(offset, pending.length());
                offset = 0;
            }
        }

        /** Bytes of an incomplete frame still held, for the "connection ended mid-frame" message. */
        public int bufferedBytes() {
            return pending.length() - offset;
        }
    }
}
