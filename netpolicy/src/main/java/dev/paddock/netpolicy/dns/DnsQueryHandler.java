package dev.paddock.netpolicy.dns;

import dev.paddock.netpolicy.audit.AuditEvent;
import dev.paddock.netpolicy.audit.AuditSink;
import dev.paddock.netpolicy.decision.EgressDecider;
import dev.paddock.netpolicy.decision.EgressDecision;
import dev.paddock.netpolicy.name.DomainName;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.timeout.IdleStateEvent;
import java.time.InstantSource;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Answers one sandbox's DNS queries: decide by name, resolve allowed A/AAAA names upstream, remember the answer
 * per sandbox, and audit every decision. Denied names get NXDOMAIN and never reach the upstream resolver, so a
 * query name cannot carry data out. Messages the decoder rejects get FORMERR; nothing thrown here leaves the
 * pipeline.
 */
final class DnsQueryHandler extends SimpleChannelInboundHandler<DnsQuery> {
    private static final Logger LOG = Logger.getLogger(DnsQueryHandler.class.getName());

    private final String sandboxId;
    private final boolean udp;
    private final QueryHeader header;
    private final EgressDecider decider;
    private final UpstreamResolver upstream;
    private final ResolvedNames resolvedNames;
    private final AuditSink audit;
    private final InstantSource clock;

    DnsQueryHandler(String sandboxId, boolean udp, QueryHeader header, EgressDecider decider, UpstreamResolver upstream,
                    ResolvedNames resolvedNames, AuditSink audit, InstantSource clock) {
        this.sandboxId = sandboxId;
        this.udp = udp;
        this.header = header;
        this.decider = decider;
        this.upstream = upstream;
        this.resolvedNames = resolvedNames;
        this.audit = audit;
        this.clock = clock;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DnsQuery query) {
        // The header object belongs to the message being decoded; copy what the answer needs before going async.
        QueryHeader h = snapshot();
        if (!query.opCode().equals(DnsOpCode.QUERY)) {
            ctx.writeAndFlush(DnsAnswers.response(h, udp, DnsResponseCode.NOTIMP));
            return;
        }
        // GUEST-CONTROLLED: the question count. RFC 9619: exactly one question per query.
        if (query.count(DnsSection.QUESTION) != 1) {
            ctx.writeAndFlush(DnsAnswers.response(h, udp, DnsResponseCode.FORMERR));
            return;
        }
        DnsQuestion question = query.recordAt(DnsSection.QUESTION);
        if (question.dnsClass() != DnsRecord.CLASS_IN) {
            ctx.writeAndFlush(DnsAnswers.withQuestion(DnsAnswers.response(h, udp, DnsResponseCode.NOTIMP), question));
            return;
        }
        String name = question.name();
        EgressDecision decision = decider.decideName(sandboxId, name);
        String shownName = DomainName.parse(name).map(DomainName::value).orElse(name);
        if (!decision.allowed()) {
            audit.record(AuditEvent.dns(clock.instant(), sandboxId, shownName, decision,
                    question.type().name() + " -> NXDOMAIN"));
            ctx.writeAndFlush(DnsAnswers.withQuestion(DnsAnswers.response(h, udp, DnsResponseCode.NXDOMAIN), question));
            return;
        }
        DnsRecordType type = question.type();
        if (!type.equals(DnsRecordType.A) && !type.equals(DnsRecordType.AAAA)) {
            // Only addresses leave the filter: TXT, MX, SRV and the rest are common tunnel carriers and no
            // connection needs them. NOERROR with no answer (NODATA, RFC 2308 §2.2) makes clients fall back.
            audit.record(AuditEvent.dns(clock.instant(), sandboxId, shownName, decision,
                    type.name() + " -> NODATA (only A and AAAA are resolved)"));
            ctx.writeAndFlush(DnsAnswers.withQuestion(DnsAnswers.response(h, udp, DnsResponseCode.NOERROR), question));
            return;
        }
        upstream.resolve(shownName, type).onComplete(ar -> {
            if (ar.failed()) {
                audit.record(AuditEvent.dns(clock.instant(), sandboxId, shownName, decision,
                        type.name() + " -> SERVFAIL (upstream: " + ar.cause().getMessage() + ")"));
                ctx.writeAndFlush(DnsAnswers.withQuestion(DnsAnswers.response(h, udp, DnsResponseCode.SERVFAIL), question));
                return;
            }
            UpstreamAnswer answer = ar.result();
            remember(shownName, answer);
            audit.record(AuditEvent.dns(clock.instant(), sandboxId, shownName, decision, describe(type, answer)));
            ctx.writeAndFlush(answerFor(h, question, shownName, answer));
        });
    }

    private DnsResponse answerFor(QueryHeader h, DnsQuestion question, String name, UpstreamAnswer answer) {
        DnsResponse r = DnsAnswers.withQuestion(DnsAnswers.response(h, udp, answer.code()), question);
        if (udp && DnsAnswers.estimatedSize(name, answer) > DnsAnswers.CLASSIC_UDP_LIMIT) {
            r.setTruncated(true); // RFC 1035 §4.2.1: the client retries over TCP
            return r;
        }
        for (UpstreamAnswer.Cname c : answer.cnames()) {
            r.addRecord(DnsSection.ANSWER, DnsAnswers.cname(c.name(), c.target(), c.ttlSeconds()));
        }
        for (UpstreamAnswer.Address a : answer.addresses()) {
            r.addRecord(DnsSection.ANSWER, DnsAnswers.address(a.name(), a.address().getAddress(), a.ttlSeconds()));
        }
        return r;
    }

    /** Every name on the chain maps to the final addresses, for the shortest TTL along the way. */
    private void remember(String asked, UpstreamAnswer answer) {
        Set<String> chainNames = new LinkedHashSet<>();
        chainNames.add(asked);
        long chainTtl = Long.MAX_VALUE;
        for (UpstreamAnswer.Cname c : answer.cnames()) {
            chainNames.add(c.name());
            chainNames.add(c.target());
            chainTtl = Math.min(chainTtl, c.ttlSeconds());
        }
        for (UpstreamAnswer.Address a : answer.addresses()) {
            long ttl = Math.min(chainTtl, a.ttlSeconds());
            for (String n : chainNames) {
                resolvedNames.remember(sandboxId, n, a.address(), ttl);
            }
        }
    }

    private static String describe(DnsRecordType type, UpstreamAnswer answer) {
        StringBuilder sb = new StringBuilder(type.name()).append(" -> ").append(rcodeName(answer.code()));
        for (UpstreamAnswer.Cname c : answer.cnames()) {
            sb.append(" CNAME ").append(c.target());
        }
        for (UpstreamAnswer.Address a : answer.addresses()) {
            sb.append(' ').append(a.address().getHostAddress());
        }
        return sb.toString();
    }

    /** RFC 1035 §4.1.1 and RFC 6895 §2.3 mnemonics, stable for audit consumers. */
    static String rcodeName(DnsResponseCode code) {
        return switch (code.intValue()) {
            case 0 -> "NOERROR";
            case 1 -> "FORMERR";
            case 2 -> "SERVFAIL";
            case 3 -> "NXDOMAIN";
            case 4 -> "NOTIMP";
            case 5 -> "REFUSED";
            default -> "RCODE" + code.intValue();
        };
    }

    private QueryHeader snapshot() {
        QueryHeader copy = new QueryHeader();
        copy.id = header.id;
        copy.sender = header.sender;
        copy.recipient = header.recipient;
        return copy;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException || (cause instanceof DecoderException
                && cause.getCause() instanceof TooLongFrameException)) {
            // TCP framing says the next message is larger than we accept; the stream cannot be trusted further.
            ctx.close();
            return;
        }
        if (cause instanceof DecoderException && header.id >= 0) {
            // GUEST-CONTROLLED: a message Netty's decoder could not parse (truncated, bad label, pointer loop).
            ctx.writeAndFlush(DnsAnswers.response(snapshot(), udp, DnsResponseCode.FORMERR));
            return;
        }
        LOG.log(Level.WARNING, "DNS filter for sandbox " + sandboxId + ": unexpected error; "
                + (udp ? "the socket keeps serving" : "closing this TCP connection"), cause);
        if (!udp) {
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }
}
