package dev.paddock.cli.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The SSE and NDJSON splitters, fed streams cut at every possible byte. */
class StreamParsersTest {

    private static List<SseParser.Event> sseInPieces(String stream, int piece) {
        SseParser p = new SseParser();
        byte[] all = stream.getBytes(StandardCharsets.UTF_8);
        List<SseParser.Event> out = new ArrayList<>();
        for (int i = 0; i < all.length; i += piece) {
            out.addAll(p.feed(java.util.Arrays.copyOfRange(all, i, Math.min(all.length, i + piece))));
        }
        return out;
    }

    @Test
    void sseEventsSurviveAnyChunking() {
        String stream = ": keepalive\n\nevent: state\ndata: {\"to\":\"ready\"}\n\nevent: console\r\ndata:a\r\ndata: b é\r\n\r\n"
                + "data: untyped\n\nevent: dropped-without-data\n\nid: 3\nretry: 10\nevent: x\ndata\n\n";
        List<SseParser.Event> expected = List.of(new SseParser.Event("state", "{\"to\":\"ready\"}"),
                new SseParser.Event("console", "a\nb é"), new SseParser.Event("message", "untyped"),
                new SseParser.Event("x", ""));
        for (int piece = 1; piece <= stream.length(); piece++) {
            assertThat(sseInPieces(stream, piece)).as("chunks of %d bytes", piece).isEqualTo(expected);
        }
    }

    @Test
    void ndjsonLinesSurviveAnyChunking() {
        String stream = "{\"type\":\"started\"}\n\n{\"type\":\"stdout\",\"data\":\"w6k=\"}\n{\"type\":\"exit\"";
        byte[] all = stream.getBytes(StandardCharsets.UTF_8);
        for (int piece = 1; piece <= all.length; piece++) {
            NdjsonLines lines = new NdjsonLines();
            List<JsonObject> got = new ArrayList<>();
            for (int i = 0; i < all.length; i += piece) {
                got.addAll(lines.feed(java.util.Arrays.copyOfRange(all, i, Math.min(all.length, i + piece))));
            }
            assertThat(got).extracting(o -> o.getString("type")).containsExactly("started", "stdout");
            assertThat(lines.hasPartialLine()).isTrue();
        }
        assertThatThrownBy(() -> new NdjsonLines().feed("not json\n".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("not a JSON object: not json");
    }

    @Test
    void errorMessagesComeFromTheDaemonsErrorShape() {
        assertThat(ApiResponse.errorMessage(404, io.vertx.core.buffer.Buffer.buffer("{\"error\":\"no sandbox x\",\"code\":\"NOT_FOUND\"}")))
                .isEqualTo("no sandbox x");
        assertThat(ApiResponse.errorMessage(502, io.vertx.core.buffer.Buffer.buffer("Bad gateway"))).isEqualTo("Bad gateway");
        assertThat(ApiResponse.errorMessage(500, io.vertx.core.buffer.Buffer.buffer())).isEqualTo("the daemon answered HTTP 500 with no message");
    }
}
