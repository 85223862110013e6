package dev.paddock.daemon.events;

import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.messages.SandboxEvent;
import dev.paddock.daemon.sandbox.SandboxState;
import dev.paddock.daemon.sandbox.SandboxStore;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The sandboxes' exit and console events: turns the driver's raw reports (console lines, how a VM or agent process
 * ended) into published {@link SandboxEvent}s, and keeps each sandbox's two logs in its directory:
 * {@code console.log} (what the sandbox printed) and {@code agent.log} (state changes, boot steps, exits, execs).
 * Files are written through Vert.x's AsyncFile, never blocking the event loop.
 */
public final class SandboxEventsVerticle extends VerticleBase {
    public static final String CONSOLE_LOG = "console.log";
    public static final String AGENT_LOG = "agent.log";
    private static final System.Logger LOG = System.getLogger(SandboxEventsVerticle.class.getName());
    private static final OpenOptions APPEND = new OpenOptions().setAppend(true).setCreate(true).setWrite(true);

    private final SandboxStore store;
    private final Map<Path, Future<AsyncFile>> open = new HashMap<>();

    public SandboxEventsVerticle(SandboxStore store) {
        this.store = store;
    }

    @Override
    public Future<?> start() {
        var bus = vertx.eventBus();
        bus.<SandboxEvent.ConsoleLine>localConsumer(Addresses.DRIVER_CONSOLE, m -> {
            SandboxEvent.ConsoleLine line = m.body();
            append(line.sandbox(), CONSOLE_LOG, line.line());
            publish(line);
        });
        bus.<SandboxEvent.Exited>localConsumer(Addresses.DRIVER_EXIT, m -> {
            SandboxEvent.Exited exit = m.body();
            append(exit.sandbox(), AGENT_LOG, exit.time() + " exit " + exit.exit() + " (status " + exit.code() + ")"
                    + (exit.detail() != null ? ": " + exit.detail() : ""));
            publish(exit);
            close(exit.sandbox(), CONSOLE_LOG);
        });
        bus.<SandboxEvent.AgentLogLine>localConsumer(Addresses.AGENT_LOG, m ->
                append(m.body().sandbox(), AGENT_LOG, m.body().time() + " " + m.body().line()));
        bus.<SandboxEvent>localConsumer(Addresses.EVENTS, m -> {
            SandboxEvent e = m.body();
            if (e instanceof SandboxEvent.StateChanged s) {
                if (SandboxState.REMOVED.json().equals(s.to())) {
                    close(s.sandbox(), CONSOLE_LOG);
                    close(s.sandbox(), AGENT_LOG);
                } else {
                    append(s.sandbox(), AGENT_LOG, s.time() + " state " + (s.from() == null ? "" : s.from() + " -> ")
                            + s.to() + (s.reason() != null ? ": " + s.reason() : ""));
                }
            } else if (e instanceof SandboxEvent.BootProgress p) {
                append(p.sandbox(), AGENT_LOG, p.time() + " boot " + p.step() + (p.detail() != null ? ": "
                        + p.detail() : ""));
            } else if (e instanceof SandboxEvent.PortChanged p) {
                append(p.sandbox(), AGENT_LOG, p.time() + " port " + p.action() + ": guest " + p.guestPort() + " on "
                        + p.hostAddress() + ":" + p.hostPort());
            }
        });
        return Future.succeededFuture();
    }

    @Override
    public Future<?> stop() {
        List<Future<Void>> closing = new ArrayList<>();
        open.values().forEach(f -> closing.add(f.compose(AsyncFile::close)));
        open.clear();
        return Future.join(closing);
    }

    private void publish(SandboxEvent event) {
        vertx.eventBus().publish(Addresses.EVENTS, event);
        vertx.eventBus().publish(Addresses.sandboxEvents(event.sandbox()), event);
    }

    private void append(String sandboxId, String log, String line) {
        Path file = store.directory(sandboxId).resolve(log);
        Future<AsyncFile> f = open.computeIfAbsent(file, p -> vertx.fileSystem().open(p.toString(), APPEND)
                .onFailure(e -> {
                    LOG.log(System.Logger.Level.WARNING, "cannot open " + p + ": " + e.getMessage());
                    open.remove(p);
                }));
        f.onSuccess(af -> af.write(Buffer.buffer(line).appendByte((byte) '\n')));
    }

    private void close(String sandboxId, String log) {
        Future<AsyncFile> f = open.remove(store.directory(sandboxId).resolve(log));
        if (f != null) {
            f.onSuccess(AsyncFile::close);
        }
    }
}
