package dev.paddock.vsock.uds;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The first line a host client sends on the Firecracker-style vsock socket: {@code CONNECT <port>\n}, the port
 * in decimal (Firecracker docs/vsock.md, "host-initiated connections"). Parsing only; {@link ConnectSocket} does
 * the I/O.
 */
final class ConnectHandshake {
    /**
     * The longest line accepted, newline included: {@code CONNECT 4294967295\n} is 19 bytes; the rest is slack for
     * spaces and a CR. A client that sends more without a newline is not speaking this protocol.
     */
    static final int MAX_LINE_BYTES = 32;

    /** The highest vsock port a client may name; 0xFFFFFFFF is VMADDR_PORT_ANY (linux/vm_sockets.h). */
    static final long MAX_PORT = 0xFFFF_FFFEL;

    private ConnectHandshake() {
    }

    /**
     * The guest port named by {@code line} (without its newline; a trailing CR is allowed), as the u32 bit
     * pattern in an int. Throws {@link IllegalArgumentException} with the reply's text when the line is not a
     * CONNECT command.
     */
    static int parse(byte[] line) {
        String text = new String(line, StandardCharsets.US_ASCII).strip();
        String[] words = text.split("[ \\t]+");
        // Firecracker matches the command word case-insensitively; so do we, for clients written against it.
        if (words.length != 2 || !words[0].toUpperCase(Locale.ROOT).equals("CONNECT")) {
            throw new IllegalArgumentException("expected 'CONNECT <port>', got '" + printable(text) + "'");
        }
        String digits = words[1];
        if (digits.isEmpty() || digits.length() > 10 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("port '" + printable(digits) + "' is not a decimal number 0.."
                    + MAX_PORT);
        }
        long port = Long.parseLong(digits);
        if (port > MAX_PORT) {
            throw new IllegalArgumentException("port " + port + " is out of range 0.." + MAX_PORT);
        }
        return (int) port;
    }

    /** The port as the client wrote it (unsigned). */
    static String portText(int port) {
        return Integer.toUnsignedString(port);
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return out.toString();
    }
}
