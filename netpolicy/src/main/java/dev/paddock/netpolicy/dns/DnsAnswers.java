package dev.paddock.netpolicy.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.nio.charset.StandardCharsets;

/** Builds the filter's responses: the header bits every answer shares, and the records it carries. */
final class DnsAnswers {
    /** RFC 1035 §4.2.1: without EDNS a UDP message is at most 512 octets; longer answers set TC. */
    static final int CLASSIC_UDP_LIMIT = 512;

    private DnsAnswers() { }

    /** A response to {@code header}'s query over UDP (sender and recipient swapped) or TCP. */
    static DnsResponse response(QueryHeader header, boolean udp, DnsResponseCode code) {
        DnsResponse r = udp
                ? new DatagramDnsResponse(header.recipient, header.sender, header.id, DnsOpCode.QUERY, code)
                : new DefaultDnsResponse(header.id, DnsOpCode.QUERY, code);
        r.setRecursionDesired(true);
        r.setRecursionAvailable(true);
        return r;
    }

    static DnsResponse withQuestion(DnsResponse r, DnsQuestion q) {
        r.addRecord(DnsSection.QUESTION, q);
        return r;
    }

    /** A CNAME record; the target is written uncompressed (RFC 1035 §3.3.1). */
    static DefaultDnsRawRecord cname(String owner, String target, long ttl) {
        return new DefaultDnsRawRecord(fqdn(owner), DnsRecordType.CNAME, ttl, encodeName(target));
    }

    static DefaultDnsRawRecord address(String owner, byte[] address, long ttl) {
        DnsRecordType type = address.length == 4 ? DnsRecordType.A : DnsRecordType.AAAA;
        return new DefaultDnsRawRecord(fqdn(owner), type, ttl, Unpooled.wrappedBuffer(address));
    }

    /** RFC 1035 §3.1: each label as a length octet and its bytes, then the zero-length root label. */
    static ByteBuf encodeName(String canonical) {
        ByteBuf out = Unpooled.buffer(canonical.length() + 2);
        for (String label : canonical.split("\\.")) {
            byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
            out.writeByte(bytes.length);
            out.writeBytes(bytes);
        }
        out.writeByte(0);
        return out;
    }

    /** The encoded size of a response, to decide whether it fits a classic UDP message. */
    static int estimatedSize(String questionName, UpstreamAnswer answer) {
        int size = 12 + questionName.length() + 2 + 4;
        for (UpstreamAnswer.Cname c : answer.cnames()) {
            size += c.name().length() + 2 + 10 + c.target().length() + 2;
        }
        for (UpstreamAnswer.Address a : answer.addresses()) {
            size += a.name().length() + 2 + 10 + a.address().getAddress().length;
        }
        return size;
    }

    private static String fqdn(String canonical) {
        return canonical + ".";
    }
}
