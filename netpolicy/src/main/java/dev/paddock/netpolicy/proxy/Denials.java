package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.decision.EgressDecision;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/**
 * How a denial looks on the wire, the same everywhere: HTTP (plain or intercepted TLS) gets a 403 whose body
 * names the rule, exactly as the audit log does; anything else gets a TCP reset.
 */
final class Denials {
    /** The response header that carries the deciding rule's id, for tools that read headers. */
    static final String RULE_HEADER = "X-Paddock-Egress-Rule";

    private Denials() { }

    static FullHttpResponse forbidden(EgressDecision d) {
        return response(HttpResponseStatus.FORBIDDEN, "Paddock egress: " + d.message() + "\n", d.ruleId());
    }

    static FullHttpResponse response(HttpResponseStatus status, String body, String rule) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (rule != null) {
            r.headers().set(RULE_HEADER, rule);
        }
        return r;
    }

    /** Writes the response, then closes the connection. */
    static void respondAndClose(Channel guest, FullHttpResponse r) {
        guest.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    /** Aborts the connection: SO_LINGER 0 makes close send RST instead of FIN (socket(7)). */
    static void reset(Channel ch) {
        if (!ch.isOpen()) {
            return; // the guest already went away: nothing to reset
        }
        // A channel without SO_LINGER (a vsock stream adapter) returns false here; closing still ends it.
        ch.config().setOption(ChannelOption.SO_LINGER, 0);
        ch.close();
    }
}
