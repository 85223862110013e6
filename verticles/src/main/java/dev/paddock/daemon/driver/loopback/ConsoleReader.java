package dev.paddock.daemon.driver.loopback;

import dev.paddock.daemon.driver.BootListener;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * Reads the loopback agent's output (its console) line by line on a thread of its own, since a process pipe can
 * only be read by blocking. The thread ends at end-of-file, when the agent exits.
 */
final class ConsoleReader {
    /** A console line longer than this is cut: the agent's output is not trusted to be line-shaped. */
    static final int MAX_LINE_CHARS = 8192;

    private ConsoleReader() { }

    static void start(String sandboxId, InputStream output, BootListener listener) {
        Thread t = new Thread(() -> pump(output, listener), "paddock-console-" + sandboxId);
        t.setDaemon(true);
        t.start();
    }

    private static void pump(InputStream output, BootListener listener) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                listener.console(line.length() > MAX_LINE_CHARS ? line.substring(0, MAX_LINE_CHARS) + "…" : line);
            }
        } catch (IOException e) {
            // The pipe broke under us (the process was killed mid-write); say so on the console itself.
            listener.console("[paddock] console read ended: " + e.getMessage());
        }
    }
}
