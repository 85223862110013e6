package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.decision.ReasonCode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * Last in every guest pipeline. An exception that reaches it (a ClientHello that does not parse, an overlong
 * one, a TLS failure on the intercepted side) ends the connection with a reset, and is audited as a denial when
 * nothing was decided yet; stray messages are released rather than leaked.
 */
final class Guard extends ChannelInboundHandlerAdapter {
    static final String NAME = "guard";
    private final ProxySession session;
    /** Set once some decision about this connection was audited. */
    boolean decided;

    Guard(ProxySession session) {
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!decided) {
            decided = true;
            String what = cause.getClass().getSimpleName() + ": " + String.valueOf(cause.getMessage());
            session.denyWithReset(null, null, ProxySession.protocolDenial(ReasonCode.INVALID_REQUEST,
                    "protocol:malformed", "the connection's first bytes could not be read as TLS or HTTP ("
                            + (what.length() > 160 ? what.substring(0, 157) + "..." : what) + ")"));
        } else {
            Denials.reset(ctx.channel());
        }
    }
}
