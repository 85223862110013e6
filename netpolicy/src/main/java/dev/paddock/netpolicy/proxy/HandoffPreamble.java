package dev.paddock.netpolicy.proxy;

import dev.paddock.netpolicy.address.IpAddresses;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hand-off listener's framing: a host-side bridge (the vsock bridge, a test) connects on loopback and first
 * writes one line, then the guest's bytes:
 * <pre>PADDOCK-EGRESS 1 &lt;sandbox-id&gt; &lt;original-ip&gt; &lt;original-port&gt;\r\n</pre>
 * The listener is on loopback, which no guest can reach (host protection), so only host processes write this
 * line; the guest's bytes come after it and are never parsed as a preamble.
 */
final class HandoffPreamble extends ByteToMessageDecoder {
    static final String NAME = "preamble";
    static final int MAX_LINE = 256;
    private static final Pattern LINE =
            Pattern.compile("PADDOCK-EGRESS 1 ([A-Za-z0-9][A-Za-z0-9._-]{0,127}) (\\S{2,45}) (\\d{1,5})");

    private final Consumer<EgressConnection> handoff;

    HandoffPreamble(Consumer<EgressConnection> handoff) {
        this.handoff = handoff;
    }

    /** The preamble for a connection; what a host-side bridge writes first. */
    public static String line(String sandboxId, InetSocketAddress destination) {
        return "PADDOCK-EGRESS 1 " + sandboxId + " " + IpAddresses.toText(destination.getAddress()) + " "
                + destination.getPort() + "\r\n";
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int eol = in.indexOf(in.readerIndex(), Math.min(in.writerIndex(), in.readerIndex() + MAX_LINE), (byte) '\n');
        if (eol < 0) {
            if (in.readableBytes() >= MAX_LINE) {
                throw new IllegalArgumentException("hand-off preamble longer than " + MAX_LINE + " bytes; expected "
                        + "'PADDOCK-EGRESS 1 <sandbox> <ip> <port>\\r\\n'");
            }
            return;
        }
        String line = in.toString(in.readerIndex(), eol - in.readerIndex(), StandardCharsets.US_ASCII).strip();
        in.readerIndex(eol + 1);
        Matcher m = LINE.matcher(line);
        Optional<InetAddress> ip = m.matches() ? IpAddresses.parseLiteral(m.group(2)) : Optional.empty();
        int port = m.matches() ? Integer.parseInt(m.group(3)) : -1;
        if (ip.isEmpty() || port > 65535) {
            throw new IllegalArgumentException("bad hand-off preamble '" + line.replaceAll("[^\\x20-\\x7e]", "?")
                    + "'; expected 'PADDOCK-EGRESS 1 <sandbox> <ip> <port>'");
        }
        EgressConnection c = new EgressConnection(m.group(1), new InetSocketAddress(ip.get(), port), ctx.channel());
        handoff.accept(c);
        // Removing this decoder passes any bytes after the line to the pipeline the hand-off installed.
        ctx.pipeline().remove(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
