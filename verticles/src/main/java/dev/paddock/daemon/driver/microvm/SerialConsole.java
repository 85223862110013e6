package dev.paddock.daemon.driver.microvm;

import dev.paddock.daemon.driver.BootListener;
import dev.paddock.runtime.devices.legacy.ConsoleListener;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A sandbox VM's serial console (COM1, {@code console=ttyS0}) cut into lines for the daemon: each line goes to the
 * {@link BootListener} (and from there to {@code console.log} and the events stream), and the last
 * {@value #TAIL_LINES} are kept for error messages (a boot that timed out, a VM that ended on its own).
 *
 * <p>Called on the VM's device event loop, one call at a time; {@link #tail()} may be called from any thread.
 */
final class SerialConsole implements ConsoleListener {
    static final int TAIL_LINES = 30;
    /** GUEST-CONTROLLED: a line without a newline is cut here, so the guest cannot grow our buffer without bound. */
    static final int MAX_LINE_BYTES = 8192;

    private final BootListener listener;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private final Deque<String> tail = new ArrayDeque<>();
    private volatile boolean panicked;

    SerialConsole(BootListener listener) {
        this.listener = listener;
    }

    @Override
    public void output(byte[] bytes) {
        for (byte b : bytes) {
            if (b == '\n') {
                emit();
            } else if (b != '\r') {
                line.write(b);
                if (line.size() >= MAX_LINE_BYTES) {
                    emit();
                }
            }
        }
    }

    private void emit() {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.startsWith("Kernel panic")) {
            panicked = true;
        }
        synchronized (tail) {
            tail.addLast(text);
            if (tail.size() > TAIL_LINES) {
                tail.removeFirst();
            }
        }
        listener.console(text);
    }

    /** The last lines printed, oldest first, joined with newlines; a note when there were none. */
    String tail() {
        synchronized (tail) {
            if (tail.isEmpty() && line.size() == 0) {
                return "(the guest printed nothing on its console)";
            }
            return String.join("\n", tail);
        }
    }

    /** The last complete line, or null. */
    String lastLine() {
        synchronized (tail) {
            return tail.peekLast();
        }
    }

    /** True once the guest kernel printed "Kernel panic" (with {@code panic=1} it then resets). */
    boolean panicked() {
        return panicked;
    }
}
