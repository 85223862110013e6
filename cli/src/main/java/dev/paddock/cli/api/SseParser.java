package dev.paddock.cli.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a {@code text/event-stream} body into events (WHATWG HTML, "Server-sent events", §9.2.6 "Interpreting an
 * event stream"): lines end in LF, CR or CRLF; {@code event:} and {@code data:} fields (one space after the colon
 * is dropped; several {@code data} lines join with LF); a blank line dispatches; a line starting with a colon is a
 * comment (the daemon's keepalive). Fed chunks cut anywhere, even inside a UTF-8 character.
 */
public final class SseParser {
    /** One dispatched event; {@code type} is "message" when the stream named none. */
    public record Event(String type, String data) {}

    /** A line longer than this is the daemon misbehaving, not an event. */
    private static final int MAX_LINE = 1 << 20;

    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private boolean lastWasCr;
    private String type = "";
    private StringBuilder data;

    /** The events completed by this chunk, in order. */
    public List<Event> feed(byte[] chunk) {
        List<Event> out = new ArrayList<>();
        for (byte b : chunk) {
            if (b == '\n' && lastWasCr) {
                lastWasCr = false;
                continue;
            }
            lastWasCr = b == '\r';
            if (b == '\n' || b == '\r') {
                String text = line.toString(StandardCharsets.UTF_8);
                line.reset();
                Event e = processLine(text);
                if (e != null) {
                    out.add(e);
                }
            } else {
                if (line.size() >= MAX_LINE) {
                    throw new IllegalStateException("an event-stream line exceeds " + MAX_LINE + " bytes");
                }
                line.write(b);
            }
        }
        return out;
    }

    private Event processLine(String text) {
        if (text.isEmpty()) {
            if (data == null) {
                type = "";
                return null;
            }
            Event e = new Event(type.isEmpty() ? "message" : type, data.toString());
            type = "";
            data = null;
            return e;
        }
        if (text.startsWith(":")) {
            return null;
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if (field.equals("event")) {
            type = value;
        } else if (field.equals("data")) {
            if (data == null) {
                data = new StringBuilder(value);
            } else {
                data.append('\n').append(value);
            }
        }
        // id and retry do not matter to the CLI: the daemon's events are live only, nothing to resume.
        return null;
    }
}
