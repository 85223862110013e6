package dev.paddock.netpolicy.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Looks at a guest connection's first bytes and hands it on: a TLS handshake record (RFC 8446 §5.1, content
 * type 22) goes to {@link TlsInspector}; an HTTP/1.x request line (RFC 9112 §3) to {@link HttpExchange}; anything
 * else, or silence for {@link EgressProxyOptions#classifyTimeout()} (protocols where the server speaks first), is
 * opaque TCP, decided by address and resolved names alone ({@link TcpTunnel}).
 */
final class Classifier extends ChannelInboundHandlerAdapter {
    static final int TLS_HANDSHAKE = 22;
    // GUEST-CONTROLLED: how much of a request line we wait for before calling the connection opaque.
    static final int MAX_REQUEST_LINE = 8192;
    private static final Pattern REQUEST_LINE = Pattern.compile("[A-Z]{1,20} [\\x21-\\x7e]{1,8000} HTTP/1\\.[01]");

    private final ProxySession session;
    private ByteBuf seen = Unpooled.EMPTY_BUFFER;
    private ScheduledFuture<?> timeout;
    private boolean done;

    Classifier(ProxySession session) {
        this.session = session;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> {
            if (!done) {
                handOff(ctx, Kind.OPAQUE);
            }
        }, session.px.options().classifyTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (done) {
            ctx.fireChannelRead(msg);
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        seen = seen.isReadable() ? Unpooled.wrappedBuffer(seen, in) : in;
        Kind kind = classify(seen);
        if (kind != null) {
            handOff(ctx, kind);
        }
    }

    enum Kind { TLS, HTTP, OPAQUE }

    static Kind classify(ByteBuf b) {
        if (!b.isReadable()) {
            return null;
        }
        int first = b.getUnsignedByte(b.readerIndex());
        if (first == TLS_HANDSHAKE) {
            return Kind.TLS;
        }
        if (first < 'A' || first > 'Z') {
            return Kind.OPAQUE;
        }
        int limit = Math.min(b.readableBytes(), MAX_REQUEST_LINE);
        for (int i = 0; i < limit - 1; i++) {
            if (b.getByte(b.readerIndex() + i) == '\r' && b.getByte(b.readerIndex() + i + 1) == '\n') {
                String line = b.toString(b.readerIndex(), i, StandardCharsets.ISO_8859_1);
                return REQUEST_LINE.matcher(line).matches() ? Kind.HTTP : Kind.OPAQUE;
            }
        }
        return b.readableBytes() >= MAX_REQUEST_LINE ? Kind.OPAQUE : null;
    }

    private void handOff(ChannelHandlerContext ctx, Kind kind) {
        done = true;
        timeout.cancel(false);
        switch (kind) {
            case TLS -> ctx.pipeline().addAfter(ctx.name(), "tls-inspector", new TlsInspector(session));
            case HTTP -> {
                ctx.pipeline().addAfter(ctx.name(), "http-codec", new HttpServerCodec());
                ctx.pipeline().addAfter("http-codec", "http", new HttpExchange(session, HttpExchange.Mode.TRANSPARENT));
            }
            case OPAQUE -> ctx.pipeline().addAfter(ctx.name(), "tcp", new TcpTunnel(session));
        }
        ByteBuf data = seen;
        seen = Unpooled.EMPTY_BUFFER;
        // Deliver what was read to the handler just added, then step out of the way.
        if (data.isReadable()) {
            ctx.fireChannelRead(data);
        } else {
            data.release();
        }
        if (ctx.pipeline().context(this) != null) {
            ctx.pipeline().remove(this);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        done = true;
        seen.release();
        seen = Unpooled.EMPTY_BUFFER;
        ctx.fireChannelInactive();
    }
}
