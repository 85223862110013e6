package dev.paddock.cli.tty;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The user's terminal, through {@code stty(1)} on {@code /dev/tty}: its size, and raw mode for an interactive
 * session (every key, Ctrl-C included, goes to the sandbox; the sandbox's pty does the echo and line editing).
 */
public final class Terminal {
    private static final Path TTY = Path.of("/dev/tty");

    private Terminal() {
    }

    /** True when stdin and stdout are this process's terminal (not a pipe or a file). */
    public static boolean isInteractive() {
        return System.console() != null && Files.isReadable(TTY);
    }

    /** Rows and columns of the terminal; 24x80 when it cannot be asked. */
    public static int[] size() {
        try {
            String[] rc = stty("size").trim().split("\\s+");
            int rows = Integer.parseInt(rc[0]);
            int cols = Integer.parseInt(rc[1]);
            if (rows > 0 && cols > 0) {
                return new int[] {Math.min(rows, 1000), Math.min(cols, 1000)};
            }
        } catch (IOException | RuntimeException e) {
            // No terminal to ask (a pipe, a CI log): the daemon's default size is as good as any.
        }
        return new int[] {24, 80};
    }

    /** Puts the terminal in raw mode until the returned handle is closed, which restores the saved settings. */
    public static AutoCloseable raw() throws IOException {
        String saved = stty("-g").trim();
        stty("raw", "-echo");
        return () -> stty(saved);
    }

    private static String stty(String... args) throws IOException {
        List<String> argv = new java.util.ArrayList<>(List.of("stty", "-F", TTY.toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("stty " + String.join(" ", args) + " failed: " + out.trim());
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running stty", e);
        }
    }
}
