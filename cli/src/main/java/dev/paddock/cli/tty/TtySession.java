package dev.paddock.cli.tty;

import dev.paddock.cli.CliException;
import dev.paddock.cli.ExitCodes;
import dev.paddock.cli.api.DaemonClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An interactive process in a sandbox over the daemon's {@code /tty} WebSocket (docs/api.md): the terminal's bytes
 * go in as binary frames, the pty's output comes back as binary frames and is written from the calling thread (the
 * event loop only queues, pausing the socket while the terminal is behind), window size changes go as resize
 * controls, and the process's exit code ends the session.
 */
public final class TtySession {
    private static final int HIGH_WATER = 64;
    private static final int LOW_WATER = 16;

    /** A frame of output, the exit code, or the socket's end (code null) from the event loop. */
    private record Inbound(Buffer data, Integer exitCode, Throwable failure) {}

    private final DaemonClient client;

    public TtySession(DaemonClient client) {
        this.client = client;
    }

    /** The query-string path of the tty endpoint for these arguments. */
    public static String path(String sandboxPath, List<String> argv, String cwd, Map<String, String> env, int rows, int cols) {
        StringBuilder q = new StringBuilder(sandboxPath).append("/tty?rows=").append(rows).append("&cols=").append(cols);
        for (String a : argv) {
            q.append("&argv=").append(enc(a));
        }
        if (cwd != null) {
            q.append("&cwd=").append(enc(cwd));
        }
        env.forEach((k, v) -> q.append("&env=").append(enc(k + "=" + v)));
        return q.toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Runs the session: stdin is forwarded until it ends (then EOT, Ctrl-D, is sent once so a shell reading a pipe
     * sees its end), output goes to out, and the process's exit code is returned.
     */
    public int run(String path, InputStream in, OutputStream out, boolean rawTerminal) throws Exception {
        TerminalSocket ws = TerminalSocket.open(client, path);
        LinkedBlockingQueue<Inbound> inbox = new LinkedBlockingQueue<>();
        boolean[] paused = {false};
        ws.binaryMessageHandler(b -> {
            inbox.add(new Inbound(b, null, null));
            synchronized (paused) {
                if (inbox.size() > HIGH_WATER && !paused[0]) {
                    paused[0] = true;
                    ws.pause();
                }
            }
        });
        ws.textMessageHandler(t -> {
            JsonObject control = new JsonObject(t);
            if ("exit".equals(control.getString("type"))) {
                inbox.add(new Inbound(null, control.getInteger("code", 1), null));
            }
        });
        ws.exceptionHandler(e -> inbox.add(new Inbound(null, null, e)));
        ws.closeHandler(v -> inbox.add(new Inbound(null, null, null)));
        ws.resume();

        AutoCloseable restore = rawTerminal ? Terminal.raw() : () -> { };
        Thread pump = startInputPump(ws, in, rawTerminal);
        WindowWatcher window = rawTerminal ? WindowWatcher.start(ws) : null;
        Integer exitCode = null;
        try (restore) {
            while (true) {
                Inbound item = inbox.take();
                synchronized (paused) {
                    if (paused[0] && inbox.size() < LOW_WATER) {
                        paused[0] = false;
                        ws.resume();
                    }
                }
                if (item.data() != null) {
                    out.write(item.data().getBytes());
                    out.flush();
                } else if (item.exitCode() != null) {
                    exitCode = item.exitCode();
                } else if (item.failure() != null && exitCode != null) {
                    // The exit code arrived; the connection's end after it (even an abrupt one) changes nothing.
                    break;
                } else if (item.failure() != null) {
                    throw new CliException(ExitCodes.FAILED, "the terminal session broke off: " + item.failure().getMessage(),
                            item.failure());
                } else {
                    break;
                }
            }
        } finally {
            pump.interrupt();
            if (window != null) {
                window.stop();
            }
            if (!ws.isClosed()) {
                ws.close();
            }
        }
        if (exitCode == null) {
            throw new CliException(ExitCodes.FAILED, "the daemon closed the terminal session without an exit code"
                    + " (the sandbox may have stopped; see: paddock logs)");
        }
        return exitCode;
    }

    private static Thread startInputPump(TerminalSocket ws, InputStream in, boolean raw) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (n > 0) {
                        ws.writeBinaryMessage(Buffer.buffer().appendBytes(buf, 0, n));
                        // Back-pressure: wait while the socket's queue is full rather than buffer a whole pipe.
                        while (ws.writeQueueFull() && !ws.isClosed()) {
                            Thread.sleep(5);
                        }
                    }
                }
                if (!raw) {
                    // A pty has no end of file of its own: EOT at the start of a line is the terminal's "end of input".
                    ws.writeBinaryMessage(Buffer.buffer(new byte[] {0x04}));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException | RuntimeException e) {

                // The session ended (socket closed) or stdin failed: either way there is nothing more to send.
            }
        }, "paddock-stdin");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
