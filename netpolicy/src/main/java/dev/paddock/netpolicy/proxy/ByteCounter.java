package dev.paddock.netpolicy.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/** First in the guest pipeline: counts raw bytes from the guest (up) and to it (down) for the audit event. */
final class ByteCounter extends ChannelDuplexHandler {
    long up;
    long down;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
            up += b.readableBytes();
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf b) {
            down += b.readableBytes();
        }
        ctx.write(msg, promise);
    }
}
