package dev.paddock.cli.sandbox;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.ApiStream;
import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.api.SseParser;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Creating or starting a sandbox with the user watching: the request goes with {@code wait=false}, then the
 * sandbox's server-sent events are shown on stderr (state changes, boot steps, and console lines when asked) until
 * it is {@code ready} or has {@code failed}. Subscribing happens before the state is read again, so no transition
 * can fall between the two.
 */
final class BootProgress {
    private final DaemonClient client;
    private final PrintStream err;
    private final boolean showConsole;

    BootProgress(DaemonClient client, PrintStream err, boolean showConsole) {
        this.client = client;
        this.err = err;
        this.showConsole = showConsole;
    }

    /** POST /v1/sandboxes, then wait for the boot (unless start is false). Returns the sandbox as it ended up. */
    JsonObject create(JsonObject spec) throws InterruptedException {
        long start = System.nanoTime();
        JsonObject created = client.post("/v1/sandboxes?wait=false", spec).requireOk().jsonObject();
        err.println("paddock: created sandbox " + Sandboxes.label(created));
        if (!spec.getBoolean("start", true)) {
            return created;
        }
        return awaitReady(created.getString("id"), start);
    }

    /** POST start on a stopped or failed sandbox, then wait for the boot. */
    JsonObject start(String ref) throws InterruptedException {
        long start = System.nanoTime();
        JsonObject sandbox = client.post(Sandboxes.path(ref) + "/start?wait=false", null).requireOk().jsonObject();
        err.println("paddock: starting sandbox " + Sandboxes.label(sandbox));
        return awaitReady(sandbox.getString("id"), start);
    }

    /** Waits for a sandbox that is creating or booting to become ready. */
    JsonObject awaitReady(String id, long startNanos) throws InterruptedException {
        String eventsPath = "/v1/events?sandbox=" + URLEncoder.encode(id, StandardCharsets.UTF_8);
        try (ApiStream events = client.stream(HttpMethod.GET, eventsPath, null)) {
            JsonObject now = client.get(Sandboxes.path(id)).requireOk().jsonObject();
            if (settled(now, startNanos)) {
                return now;
            }
            SseParser parser = new SseParser();
            Buffer chunk;
            while ((chunk = events.next()) != null) {
                for (SseParser.Event e : parser.feed(chunk.getBytes())) {
                    JsonObject data = new JsonObject(e.data());
                    switch (e.type()) {
                        case "state" -> {
                            err.printf("paddock:   %s → %s%s (%.1f s)%n", data.getString("from"), data.getString("to"),
                                    data.getString("reason") == null ? "" : ": " + data.getString("reason"),
                                    seconds(startNanos));
                            String to = data.getString("to");
                            if ("ready".equals(to) || "failed".equals(to) || "stopped".equals(to) || "removed".equals(to)) {
                                JsonObject after = client.get(Sandboxes.path(id)).requireOk().jsonObject();
                                if (settled(after, startNanos)) {
                                    return after;
                                }
                            }
                        }
                        case "progress" -> err.printf("paddock:   %s%s (%.1f s)%n", data.getString("step"),
                                data.getString("detail") == null ? "" : ": " + data.getString("detail"), seconds(startNanos));
                        case "console" -> {
                            if (showConsole) {
                                err.println("  | " + data.getString("line"));
                            }
                        }
                        default -> {
                            // egress and exit events belong to `paddock logs` and the web page, not to a boot.
                        }
                    }
                }
            }
            throw new CliException(ExitCodes.FAILED, "the daemon ended the event stream while sandbox " + id
                    + " was booting; check it with: paddock ls");
        }
    }

    /** True when the sandbox reached an end state for this wait; throws when that end is a failure. */
    private boolean settled(JsonObject sandbox, long startNanos) {
        String state = sandbox.getString("state");
        switch (state) {
            case "ready":
                err.printf("paddock: sandbox %s ready in %.1f s%n", Sandboxes.label(sandbox), seconds(startNanos));
                return true;
            case "failed":
            case "stopped":
            case "removed":
                throw new CliException(ExitCodes.FAILED, "sandbox " + Sandboxes.label(sandbox) + " did not boot: it is "
                        + state + (sandbox.getString("stateReason") == null ? "" : " (" + sandbox.getString("stateReason") + ")")
                        + "; its console: paddock logs " + sandbox.getString("name"));
            default:
                return false;
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
