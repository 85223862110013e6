package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.netpolicy.decision.EgressDecision;
import dev.paddock.netpolicy.decision.EgressRequest;
import dev.paddock.netpolicy.decision.ReasonCode;
import dev.paddock.netpolicy.name.DomainName;
import dev.paddock.netpolicy.secret.HeaderField;
import dev.paddock.netpolicy.secret.Secrets;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP/1.x on the guest side, one request at a time: each request is decided with its Host and request line
 * (so method/path rules apply and a later request cannot ride on an earlier one's decision), rewritten (secrets
 * for bound hosts over intercepted TLS; origin-form for the explicit proxy), and forwarded on an upstream
 * connection that is reused while the destination stays the same. A denied request gets a 403 naming the rule
 * and the connection closes. Pipelined requests wait until the response before them is complete.
 *
 * <p>Modes: {@code TRANSPARENT} (plain HTTP to the original destination), {@code INTERCEPTED} (HTTPS terminated
 * with the sandbox CA's leaf, re-encrypted upstream), {@code EXPLICIT} (a proxy client: absolute-form requests
 * and CONNECT, the destination resolved by the proxy for this sandbox).
 */
final class HttpExchange extends ChannelInboundHandlerAdapter {
    enum Mode { TRANSPARENT, INTERCEPTED, EXPLICIT }

    private final ProxySession session;
    private final Mode mode;
    private final Optional<String> sni;

    private ChannelHandlerContext ctx;
    private final ArrayDeque<HttpObject> queued = new ArrayDeque<>();
    private final ArrayDeque<HttpObject> toUpstream = new ArrayDeque<>();
    private Channel upstream;
    private InetSocketAddress upstreamDestination;
    private boolean inFlight;
    private boolean readingBody;
    private boolean upstreamReady;
    private boolean responseStarted;
    private boolean closing;
    /** The request or its response asked to close after this exchange (RFC 9112 §9.6). */
    private boolean closeAfterResponse;
    private EgressDecision current;
    private String currentHost;
    private String currentRequest;
    private List<String> secretsUsed = List.of();
    private long upAtStart;
    private long downAtStart;

    HttpExchange(ProxySession session, Mode mode) {
        this(session, mode, Optional.empty());
    }

    HttpExchange(ProxySession session, Mode mode, Optional<String> sni) {
        this.session = session;
        this.mode = mode;
        this.sni = sni;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpObject o) || closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (inFlight && !readingBody) {
            queued.add(o); // pipelined: waits for the response in flight
            return;
        }
        handle(o);
    }

    private void handle(HttpObject o) {
        if (o instanceof HttpRequest req) {
            startRequest(req);
            if (o instanceof HttpContent c) {
                body(c);
            }
        } else if (o instanceof HttpContent c) {
            body(c);
        } else {
            ReferenceCountUtil.release(o);
        }
    }

    private void body(HttpContent c) {
        if (!readingBody || closing) {
            c.release();
            return;
        }
        if (c instanceof LastHttpContent) {
            readingBody = false;
        }
        if (upstreamReady) {
            upstream.writeAndFlush(c);
            if (!upstream.isWritable()) {
                session.guest.config().setAutoRead(false);
            }
        } else {
            toUpstream.add(c);
        }
    }

    private void startRequest(HttpRequest req) {
        inFlight = true;
        readingBody = true;
        responseStarted = false;
        currentRequest = abbreviate(req.method() + " " + req.uri());
        closeAfterResponse = !HttpUtil.isKeepAlive(req);
        if (req.decoderResult().isFailure()) {
            deny(ProxySession.protocolDenial(ReasonCode.INVALID_REQUEST, "request:malformed-http",
                    "the request could not be read as HTTP/1.x: " + req.decoderResult().cause().getMessage()));
            return;
        }
        if (mode == Mode.EXPLICIT) {
            explicit(req);
            return;
        }
        String host = req.headers().get(HttpHeaderNames.HOST);
        currentHost = host;
        if (session.connectHost.isPresent() && host != null && !sameHost(host, session.connectHost.get())) {
            deny(ProxySession.protocolDenial(ReasonCode.HOST_SNI_MISMATCH, "identity:connect-host-mismatch",
                    "Host " + abbreviate(host) + " differs from the CONNECT authority " + session.connectHost.get()));
            return;
        }
        decideAndForward(req, Optional.ofNullable(host).or(() -> session.connectHost));
    }

    private void decideAndForward(HttpRequest req, Optional<String> host) {
        String path = originForm(req.uri());
        EgressDecision d = session.decide(sni, host, Optional.of(new EgressRequest.RequestLine(req.method().name(), path)));
        current = d;
        if (!d.allowed()) {
            ReferenceCountUtil.release(req);
            deny(d);
            return;
        }
        req.setUri(path);
        req.headers().remove("Proxy-Connection");
        req.headers().remove(HttpHeaderNames.PROXY_AUTHORIZATION);
        secretsUsed = List.of();
        if (mode == Mode.INTERCEPTED) {
            applySecrets(req);
        }
        forward(req);
    }

    private void applySecrets(HttpRequest req) {
        Optional<SandboxInterception.Material> m = session.px.interception().get(session.sandbox);
        Optional<DomainName> name = sni.flatMap(DomainName::parse);
        if (m.isEmpty() || name.isEmpty()) {
            return;
        }
        Secrets secrets = m.get().secrets().get();
        List<HeaderField> fields = new ArrayList<>();
        for (Map.Entry<String, String> e : req.headers()) {
            fields.add(new HeaderField(e.getKey(), e.getValue()));
        }
        Secrets.Rewritten r = secrets.rewrite(name.get(), fields);
        if (r.secretsUsed().isEmpty()) {
            return;
        }
        req.headers().clear();
        for (HeaderField f : r.headers()) {
            req.headers().add(f.name(), f.value());
        }
        secretsUsed = r.secretsUsed();
    }

    private void forward(HttpRequest req) {
        if (upstream != null && upstream.isActive() && session.destination.equals(upstreamDestination)) {
            upstreamReady = true;
            upstream.write(req);
            drainToUpstream();
            return;
        }
        if (upstream != null) {
            upstream.close();
        }
        upstreamReady = false;
        toUpstream.addFirst(req);
        upstreamDestination = session.destination;
        Optional<String> tlsName = mode == Mode.INTERCEPTED ? sni : Optional.empty();
        session.connectUpstream(tlsName, ch -> ch.pipeline().addLast("http-client", new HttpClientCodec())
                .addLast("response", new ResponseRelay())).addListener(f -> {
                    if (!f.isSuccess()) {
                        releaseQueue(toUpstream);
                        respondAndClose(HttpResponseStatus.BAD_GATEWAY, "Paddock egress: allowed by " + current.ruleId()
                                + ", but " + session.destinationText() + " failed: " + f.cause().getMessage() + "\n");
                        return;
                    }
                    upstream = (Channel) f.getNow();
                    upstream.config().setAutoRead(true);
                    upstream.read();
                    upstreamReady = true;
                    drainToUpstream();
                });
    }

    private void drainToUpstream() {
        while (!toUpstream.isEmpty()) {
            upstream.write(toUpstream.poll());
        }
        upstream.flush();
    }

    private void explicit(HttpRequest req) {
        if (req.method().equals(HttpMethod.CONNECT)) {
            connect(req);
            return;
        }
        URI uri;
        try {
            uri = new URI(req.uri());
        } catch (URISyntaxException e) {
            uri = null;
        }
        if (uri == null || !"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
            ReferenceCountUtil.release(req);
            respondAndClose(HttpResponseStatus.BAD_REQUEST, "Paddock egress: a proxy request needs an absolute"
                    + " http:// URI or CONNECT host:port; got " + currentRequest + "\n");
            return;
        }
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        String authority = uri.getRawAuthority();
        // RFC 9112 §3.2.2: a proxy replaces the Host header with the request target's authority.
        req.headers().set(HttpHeaderNames.HOST, authority);
        currentHost = authority;
        String host = uri.getHost();
        ExplicitResolution.resolve(session, host).onComplete(r -> ctx.executor().execute(() -> {
            if (r.failed()) {
                ReferenceCountUtil.release(req);
                deny(r.cause() instanceof ExplicitResolution.Denied dn ? dn.decision
                        : ProxySession.protocolDenial(ReasonCode.NAME_NOT_RESOLVED, "dns:no-address",
                        host + " has no address: " + r.cause().getMessage()));
                return;
            }
            session.destination = new InetSocketAddress(r.result(), port);
            decideAndForward(req, Optional.of(authority));
        }));
    }

    private void connect(HttpRequest req) {
        String authority = req.uri();
        ReferenceCountUtil.release(req);
        currentHost = authority;
        String hostOnly = hostOf(authority);
        int port = portOf(authority);
        if (hostOnly == null || port < 1) {
            respondAndClose(HttpResponseStatus.BAD_REQUEST, "Paddock egress: CONNECT needs host:port; got '"
                    + abbreviate(authority) + "'\n");
            return;
        }
        ExplicitResolution.resolve(session, hostOnly).onComplete(r -> ctx.executor().execute(() -> {
            if (r.failed()) {
                deny(r.cause() instanceof ExplicitResolution.Denied dn ? dn.decision
                        : ProxySession.protocolDenial(ReasonCode.NAME_NOT_RESOLVED, "dns:no-address",
                        hostOnly + " has no address: " + r.cause().getMessage()));
                return;
            }
            session.destination = new InetSocketAddress(r.result(), port);
            boolean literal = IpAddresses.parseLiteral(hostOnly).isPresent();
            Optional<String> connectHost = literal ? Optional.empty() : Optional.of(hostOnly);
            EgressDecision d = session.decide(Optional.empty(), Optional.of(authority), Optional.empty());
            current = d;
            if (!d.allowed()) {
                deny(d);
                return;
            }
            // The tunnel's content is classified like a transparent connection, bound to the CONNECT authority.
            session.connectHost = connectHost;
            ChannelHandlerContext c = ctx;
            c.writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                    new HttpResponseStatus(200, "Connection established"))).addListener(w -> {
                        if (!w.isSuccess()) {
                            return;
                        }
                        c.pipeline().addAfter(c.name(), "classifier", new Classifier(session));
                        c.pipeline().remove(HttpServerCodec.class);
                        c.pipeline().remove(this);
                    });
        }));
    }

    private void deny(EgressDecision d) {
        current = d;
        readingBody = false;
        releaseQueue(queued);
        releaseQueue(toUpstream);
        session.audit("http", sni.orElse(null), currentHost, d, 0, 0, "403 " + currentRequest);
        ctx.pipeline().get(Guard.class).decided = true;
        closing = true;
        Denials.respondAndClose(session.guest, Denials.forbidden(d));
        if (upstream != null) {
            upstream.close();
        }
    }

    private void respondAndClose(HttpResponseStatus status, String body) {
        closing = true;
        releaseQueue(queued);
        if (current != null) {
            session.audit("http", sni.orElse(null), currentHost, current, session.counter.up - upAtStart, 0,
                    status.code() + " " + currentRequest);
            ctx.pipeline().get(Guard.class).decided = true;
        }
        Denials.respondAndClose(session.guest, Denials.response(status, body, current == null ? null : current.ruleId()));
    }

    /** Upstream's responses, written back to the guest in order; the next queued request starts after each. */
    private final class ResponseRelay extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext uctx, Object msg) {
            if (!(msg instanceof HttpObject)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            responseStarted = true;
            if (msg instanceof HttpResponse resp && !HttpUtil.isKeepAlive(resp)) {
                closeAfterResponse = true;
            }
            session.guest.write(msg);
            if (!session.guest.isWritable()) {
                uctx.channel().config().setAutoRead(false);
            }
            if (msg instanceof LastHttpContent) {
                session.guest.flush();
                responseDone();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext uctx) {
            session.guest.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext uctx) {
            if (uctx.channel().isWritable()) {
                session.guest.config().setAutoRead(true);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext uctx) {
            if (upstream == uctx.channel()) {
                upstream = null;
                upstreamReady = false;
            }
            if (inFlight && !closing) {
                if (responseStarted) {
                    Splice.closeOnFlush(session.guest); // a truncated response: the guest must see the end
                } else {
                    respondAndClose(HttpResponseStatus.BAD_GATEWAY, "Paddock egress: " + session.destinationText()
                            + " closed the connection before answering\n");
                }
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext uctx, Throwable cause) {
            uctx.close();
            if (inFlight && !responseStarted && !closing) {
                respondAndClose(HttpResponseStatus.BAD_GATEWAY, "Paddock egress: allowed, but "
                        + session.destinationText() + " failed: " + cause.getMessage() + "\n");
            }
        }
    }

    private void responseDone() {
        session.audit("http", sni.orElse(null), currentHost, current, session.counter.up - upAtStart,
                session.counter.down - downAtStart, (mode == Mode.INTERCEPTED ? "https " : "")
                        + currentRequest + (secretsUsed.isEmpty() ? "" : " secrets " + secretsUsed));
        ctx.pipeline().get(Guard.class).decided = true;
        inFlight = false;
        // The next exchange's bytes count from here (the counter sees a request's bytes before it is decoded).
        upAtStart = session.counter.up;
        downAtStart = session.counter.down;
        if (closeAfterResponse) {
            closing = true;
            releaseQueue(queued);
            Splice.closeOnFlush(session.guest);
            return;
        }
        while (!queued.isEmpty() && !inFlight && !closing) {
            handle(queued.poll());
        }
        while (!queued.isEmpty() && inFlight && readingBody && queued.peek() instanceof HttpContent) {
            handle(queued.poll());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && upstream != null) {
            upstream.config().setAutoRead(true);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseQueue(queued);
        releaseQueue(toUpstream);
        if (upstream != null) {
            upstream.close();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!closing && inFlight && !responseStarted && current == null) {
            deny(ProxySession.protocolDenial(ReasonCode.INVALID_REQUEST, "request:malformed-http",
                    "the request could not be read: " + cause.getMessage()));
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    private static void releaseQueue(ArrayDeque<HttpObject> q) {
        while (!q.isEmpty()) {
            ReferenceCountUtil.release(q.poll());
        }
    }

    /** The path and query of a request target (RFC 9112 §3.2); absolute-form is reduced to it. */
    static String originForm(String uri) {
        if (uri.startsWith("/")) {
            return uri;
        }
        int scheme = uri.indexOf("://");
        if (scheme > 0) {
            int slash = uri.indexOf('/', scheme + 3);
            return slash < 0 ? "/" : uri.substring(slash);
        }
        return uri;
    }

    static String hostOf(String authority) {
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            return close < 0 ? null : authority.substring(1, close);
        }
        int colon = authority.lastIndexOf(':');
        return colon <= 0 ? null : authority.substring(0, colon);
    }

    static int portOf(String authority) {
        int colon = authority.lastIndexOf(':');
        if (colon < 0 || authority.endsWith("]")) {
            return -1;
        }
        try {
            int p = Integer.parseInt(authority.substring(colon + 1));
            return p >= 1 && p <= 65535 ? p : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean sameHost(String hostHeader, String name) {
        String h = hostHeader.trim().toLowerCase(java.util.Locale.ROOT);
        int colon = h.lastIndexOf(':');
        if (colon > 0 && !h.endsWith("]")) {
            h = h.substring(0, colon);
        }
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h.equals(name.toLowerCase(java.util.Locale.ROOT));
    }

    private static String abbreviate(String s) {
        String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() <= 120 ? printable : printable.substring(0, 117) + "...";
    }
}
