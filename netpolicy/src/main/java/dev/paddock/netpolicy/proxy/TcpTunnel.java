package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.decision.EgressDecision;
import dev.paddock.netpolicy.decision.ReasonCode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Optional;

/**
 * A connection spliced without reading it: opaque TCP (decided by address and resolved names) or TLS passed
 * through after its SNI was decided ({@link TlsInspector}). Holds what the guest sent while upstream connects,
 * then splices; audits once, at close, with the bytes each way.
 */
final class TcpTunnel extends ChannelInboundHandlerAdapter {
    private final ProxySession session;
    private final Optional<EgressDecision> decided;
    private final String sni;
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private boolean connecting;

    /** Opaque TCP: decides on the first read (or when the classifier's timeout hands over an empty stream). */
    TcpTunnel(ProxySession session) {
        this(session, Optional.empty(), null);
    }

    /** TLS passed through: already decided on its SNI. */
    TcpTunnel(ProxySession session, EgressDecision decided, String sni) {
        this(session, Optional.of(decided), sni);
    }

    private TcpTunnel(ProxySession session, Optional<EgressDecision> decided, String sni) {
        this.session = session;
        this.decided = decided;
        this.sni = sni;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().config().setAutoRead(false);
        EgressDecision d = decided.orElseGet(() -> session.decide(Optional.empty(), session.connectHost, Optional.empty()));
        String host = session.connectHost.orElse(null);
        Guard guard = ctx.pipeline().get(Guard.class);
        guard.decided = true;
        if (!d.allowed()) {
            session.denyWithReset(sni, host, d);
            return;
        }
        connecting = true;
        Channel guest = ctx.channel();
        session.connectUpstream(Optional.empty(), up -> { }).addListener(f -> {
            connecting = false;
            if (!f.isSuccess()) {
                release();
                session.denyWithReset(sni, host, ProxySession.protocolDenial(ReasonCode.DENIED_BY_RULE,
                        "upstream:unreachable", "allowed by " + d.ruleId() + " but " + session.destinationText()
                                + " did not accept the connection: " + f.cause().getMessage()));
                return;
            }
            Channel up = (Channel) f.getNow();
            guest.closeFuture().addListener(x -> session.audit("tcp", sni, host, d, session.counter.up,
                    session.counter.down, sni != null ? "tls passthrough" : "tcp"));
            while (!held.isEmpty()) {
                up.write(held.poll());
            }
            up.flush();
            if (ctx.pipeline().context(this) != null) {
                ctx.pipeline().remove(this);
            }
            ctx.pipeline().remove(Guard.NAME);
            Splice.join(guest, up);
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        held.add(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        ctx.fireChannelInactive();
    }

    private void release() {
        while (!held.isEmpty()) {
            ReferenceCountUtil.release(held.poll());
        }
    }

    boolean connecting() {
        return connecting;
    }
}
