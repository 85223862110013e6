package dev.paddock.cli.tty;

import io.vertx.core.json.JsonObject;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Sends the terminal's new size to the sandbox when the window changes (SIGWINCH, which the JVM lets a program
 * handle through {@code sun.misc.Signal} in the {@code jdk.unsupported} module).
 */
final class WindowWatcher {
    private static final Signal WINCH = new Signal("WINCH");

    private final SignalHandler previous;

    private WindowWatcher(SignalHandler previous) {
        this.previous = previous;
    }

    static WindowWatcher start(TerminalSocket ws) {
        SignalHandler previous = Signal.handle(WINCH, sig -> {
            int[] size = Terminal.size();
            ws.writeTextMessage(new JsonObject().put("resize", new JsonObject().put("rows", size[0]).put("cols", size[1]))
                    .encode());
        });
        return new WindowWatcher(previous);
    }

    void stop() {
        Signal.handle(WINCH, previous);
    }
}
