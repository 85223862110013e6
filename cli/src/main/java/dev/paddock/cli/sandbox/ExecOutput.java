package dev.paddock.cli.sandbox;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.ApiStream;
import dev.paddock.cli.api.DaemonClient;
import dev.paddock.cli.api.NdjsonLines;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Base64;

/**
 * A non-interactive exec (POST .../exec): the NDJSON chunks' stdout and stderr bytes are written to the CLI's own
 * stdout and stderr as they arrive, and the {@code exit} chunk's code is returned.
 */
final class ExecOutput {
    private ExecOutput() {
    }

    static int run(DaemonClient client, String sandbox, JsonObject request, OutputStream out, OutputStream err)
            throws IOException, InterruptedException {
        Base64.Decoder b64 = Base64.getDecoder();
        NdjsonLines lines = new NdjsonLines();
        try (ApiStream stream = client.stream(HttpMethod.POST, Sandboxes.path(sandbox) + "/exec", request)) {
            Buffer chunk;
            while ((chunk = stream.next()) != null) {
                for (JsonObject c : lines.feed(chunk.getBytes())) {
                    switch (c.getString("type", "")) {
                        case "stdout" -> {
                            out.write(b64.decode(c.getString("data", "")));
                            out.flush();
                        }
                        case "stderr" -> {
                            err.write(b64.decode(c.getString("data", "")));
                            err.flush();
                        }
                        case "exit" -> {
                            return c.getInteger("code");
                        }
                        case "error" -> throw new CliException(ExitCodes.FAILED, "the process in " + sandbox
                                + " was lost: " + c.getString("error") + " (" + c.getValue("code") + ")");
                        default -> {
                            // "started" carries the pid, which the CLI has no use for.
                        }
                    }
                }
            }
        }
        throw new CliException(ExitCodes.FAILED, "the daemon ended the exec output of " + sandbox
                + " without an exit code; its log may say why");
    }
}
