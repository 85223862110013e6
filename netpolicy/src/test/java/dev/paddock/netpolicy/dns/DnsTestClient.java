package dev.paddock.netpolicy.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A blocking test client (runs on the JUnit thread or a worker, never an event loop) that sends hand-built
 * queries, including malformed ones, and reads the reply with Netty's response decoder.
 */
final class DnsTestClient {
    /** What came back, reduced to what tests assert on. */
    record Reply(int id, DnsResponseCode code, boolean truncated, List<String> answers) { }

    private DnsTestClient() { }

    /** A well-formed query: header with RD, one question (RFC 1035 §4.1). */
    static byte[] query(int id, String name, DnsRecordType type) {
        ByteBuf b = Unpooled.buffer();
        b.writeShort(id).writeShort(0x0100).writeShort(1).writeShort(0).writeShort(0).writeShort(0);
        b.writeBytes(DnsAnswers.encodeName(name));
        b.writeShort(type.intValue()).writeShort(1);
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        return out;
    }

    static Reply udp(int port, byte[] message) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(5000);
            InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            s.send(new java.net.DatagramPacket(message, message.length, server));
            byte[] buf = new byte[4096];
            java.net.DatagramPacket p = new java.net.DatagramPacket(buf, buf.length);
            s.receive(p);
            return decode(Unpooled.wrappedBuffer(buf, 0, p.getLength()));
        }
    }

    /** True when nothing comes back within {@code millis}. */
    static boolean udpSilent(int port, byte[] message, int millis) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(millis);
            s.send(new java.net.DatagramPacket(message, message.length,
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), port)));
            s.receive(new java.net.DatagramPacket(new byte[4096], 4096));
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }

    /** Sends each message with its 2-octet length (RFC 1035 §4.2.2) on one connection and reads as many replies. */
    static List<Reply> tcp(int port, byte[]... messages) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            for (byte[] m : messages) {
                out.writeShort(m.length);
                out.write(m);
            }
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            List<Reply> replies = new ArrayList<>();
            for (int i = 0; i < messages.length; i++) {
                byte[] body = new byte[in.readUnsignedShort()];
                in.readFully(body);
                replies.add(decode(Unpooled.wrappedBuffer(body)));
            }
            return replies;
        }
    }

    private static Reply decode(ByteBuf bytes) {
        EmbeddedChannel ch = new EmbeddedChannel(new DatagramDnsResponseDecoder());
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 53);
        ch.writeInbound(new DatagramPacket(bytes, any, any));
        DnsResponse r = ch.readInbound();
        try {
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < r.count(DnsSection.ANSWER); i++) {
                DnsRecord rec = r.recordAt(DnsSection.ANSWER, i);
                ByteBuf c = ((DnsRawRecord) rec).content();
                String value;
                if (rec.type().equals(DnsRecordType.CNAME)) {
                    value = io.netty.handler.codec.dns.DefaultDnsRecordDecoder.decodeName(c.duplicate());
                } else {
                    byte[] a = new byte[c.readableBytes()];
                    c.getBytes(c.readerIndex(), a);
                    value = dev.paddock.netpolicy.address.IpAddresses.toText(
                            dev.paddock.netpolicy.address.IpAddresses.byAddress(a));
                }
                answers.add(rec.name() + " " + rec.type().name() + " " + rec.timeToLive() + " " + value);
            }
            return new Reply(r.id(), r.code(), r.isTruncated(), answers);
        } finally {
            r.release();
            ch.finishAndReleaseAll();
        }
    }
}
