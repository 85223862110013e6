package dev.paddock.cli.api;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Splits an {@code application/x-ndjson} body, fed in chunks cut anywhere, into its JSON objects. */
public final class NdjsonLines {
    /** Exec chunks carry at most the agent's 64 KiB frames, base64-encoded; far more is a broken daemon. */
    private static final int MAX_LINE = 4 << 20;

    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    public List<JsonObject> feed(byte[] chunk) {
        List<JsonObject> out = new ArrayList<>();
        for (byte b : chunk) {
            if (b == '\n') {
                String text = line.toString(StandardCharsets.UTF_8).trim();
                line.reset();
                if (!text.isEmpty()) {
                    out.add(parse(text));
                }
            } else {
                if (line.size() >= MAX_LINE) {
                    throw new ApiException(200, "the daemon sent an NDJSON line over " + MAX_LINE + " bytes");
                }
                line.write(b);
            }
        }
        return out;
    }

    /** True when bytes of an unfinished line are left over (the stream ended mid-line). */
    public boolean hasPartialLine() {
        return line.size() > 0;
    }

    private static JsonObject parse(String text) {
        try {
            return new JsonObject(text);
        } catch (DecodeException e) {
            throw new ApiException(200, "the daemon sent an NDJSON line that is not a JSON object: "
                    + (text.length() > 200 ? text.substring(0, 200) + "…" : text));
        }
    }
}
