package dev.paddock.daemon.egress;

import dev.paddock.netpolicy.address.IpAddresses;
import io.vertx.core.buffer.Buffer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The line that opens a guest's egress stream (guest/PROTOCOL.md §12): {@code PADDOCK-DST <ip> <port>\n}, the
 * original destination the agent read with {@code SO_ORIGINAL_DST}. It names only the destination; which sandbox
 * sent it is known from the VM the stream came from, never from these bytes.
 */
public final class GuestEgressHeader {
    // GUEST-CONTROLLED: the header's length. The agent's longest line (IPv6 text of 45 bytes, port 65535) is 64.
    public static final int MAX_LINE = 80;
    // GUEST-CONTROLLED: the whole line must match; an IP literal of either family and a port of 1..65535.
    private static final Pattern LINE = Pattern.compile("PADDOCK-DST ([0-9A-Fa-f.:]{2,45}) ([1-9][0-9]{0,4})");

    private GuestEgressHeader() {
    }

    /** The header and the guest bytes that followed it in the same read. */
    public record Parsed(InetSocketAddress destination, Buffer rest) {
    }

    /**
     * Looks for the header at the start of {@code received}: empty while no newline has arrived and fewer than
     * {@link #MAX_LINE} bytes are there; the destination and the rest once it has.
     *
     * @throws IllegalArgumentException for a line that is too long or malformed, naming what was wrong
     */
    public static Optional<Parsed> parse(Buffer received) {
        int limit = Math.min(received.length(), MAX_LINE);
        int eol = -1;
        for (int i = 0; i < limit; i++) {
            if (received.getByte(i) == '\n') {
                eol = i;
                break;
            }
        }
        if (eol < 0) {
            if (received.length() >= MAX_LINE) {
                throw new IllegalArgumentException("egress header longer than " + MAX_LINE
                        + " bytes; expected 'PADDOCK-DST <ip> <port>\\n' (guest/PROTOCOL.md §12)");
            }
            return Optional.empty();
        }
        String line = received.getString(0, eol, StandardCharsets.US_ASCII.name());
        Matcher m = LINE.matcher(line);
        Optional<InetAddress> ip = m.matches() ? IpAddresses.parseLiteral(m.group(1)) : Optional.empty();
        int port = m.matches() ? Integer.parseInt(m.group(2)) : -1;
        if (ip.isEmpty() || port > 65535) {
            throw new IllegalArgumentException("bad egress header '" + line.replaceAll("[^\\x20-\\x7e]", "?")
                    + "'; expected 'PADDOCK-DST <ip> <port>' with an IP literal and a port 1..65535");
        }
        return Optional.of(new Parsed(new InetSocketAddress(ip.get(), port), received.getBuffer(eol + 1,
                received.length())));
    }
}
