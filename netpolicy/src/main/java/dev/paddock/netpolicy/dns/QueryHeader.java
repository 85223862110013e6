package dev.paddock.netpolicy.dns;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * The DNS header fields of the message being decoded, read from the raw bytes before Netty's decoder sees them
 * (RFC 1035 §4.1.1), so a message the decoder rejects can still be answered with FORMERR under its own id.
 *
 * <p>Decoding is synchronous within one {@code channelRead}, and each pipeline runs on one event loop, so the
 * peek handler and the query handler of a pipeline share one instance without locking.
 */
final class QueryHeader {
    /** RFC 1035 §4.1.1: 12 header octets. */
    static final int HEADER_LENGTH = 12;

    int id = -1;
    InetSocketAddress sender;
    InetSocketAddress recipient;

    /** The id at {@code offset} (the first two octets), or -1 when there are not even those. */
    static int idOf(ByteBuf buf, int offset) {
        return buf.writerIndex() - offset >= 2 ? buf.getUnsignedShort(offset) : -1;
    }

    /**
     * RFC 1035 §4.1.1: QR is the top bit of the third octet; 1 means the message is a response. A message too
     * short to hold that octet is not a response (the decoder rejects it, and it gets FORMERR).
     */
    static boolean isResponse(ByteBuf buf, int offset) {
        return buf.writerIndex() - offset >= 3 && (buf.getUnsignedByte(offset + 2) & 0x80) != 0;
    }
}
