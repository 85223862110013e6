package dev.paddock.netpolicy.dns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;

/**
 * Sits between the frame splitter (which hands over one whole length-prefixed message at a time) and Netty's
 * {@code TcpDnsQueryDecoder}: notes each message's id for FORMERR answers, and closes the connection on a
 * message too short to carry an id or one that is a response (RFC 1035 §4.2.2 framing: 2-octet length first).
 */
final class TcpQueryGuard extends ChannelInboundHandlerAdapter {
    private final QueryHeader header;

    TcpQueryGuard(QueryHeader header) {
        this.header = header;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        int start = frame.readerIndex() + 2;
        int id = QueryHeader.idOf(frame, start);
        if (id < 0 || QueryHeader.isResponse(frame, start)) {
            frame.release();
            ctx.close();
            return;
        }
        header.id = id;
        header.sender = (InetSocketAddress) ctx.channel().remoteAddress();
        header.recipient = (InetSocketAddress) ctx.channel().localAddress();
        ctx.fireChannelRead(frame);
    }
}
