package dev.paddock.netpolicy.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;

/**
 * Drops datagrams that must never be answered, and notes the header of the rest for {@link DnsQueryHandler}.
 * Dropped: shorter than two octets (no id to answer with), larger than {@link #MAX_DATAGRAM}, or responses
 * (answering a response is how two resolvers get into a loop).
 */
final class UdpQueryGuard extends ChannelInboundHandlerAdapter {
    // GUEST-CONTROLLED: datagram size. RFC 6891 §6.2.5 payloads above 4096 octets are not expected from a stub.
    static final int MAX_DATAGRAM = 4096;

    private final QueryHeader header;

    UdpQueryGuard(QueryHeader header) {
        this.header = header;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket packet)) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf content = packet.content();
        int id = QueryHeader.idOf(content, content.readerIndex());
        if (id < 0 || content.readableBytes() > MAX_DATAGRAM || QueryHeader.isResponse(content, content.readerIndex())) {
            packet.release();
            return;
        }
        header.id = id;
        header.sender = packet.sender();
        header.recipient = packet.recipient();
        ctx.fireChannelRead(packet);
    }
}
