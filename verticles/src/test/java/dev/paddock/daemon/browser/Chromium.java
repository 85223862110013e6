package dev.paddock.daemon.browser;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's {@code chromium}, headless, with its DevTools endpoint on a free loopback port and a fresh profile. A
 * missing browser is a failure that says how to install it (dev/test installs it), never a skip.
 */
public final class Chromium implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
    private final Process process;
    private final Path profile;
    private final String browserWs;
    private final StringBuilder log = new StringBuilder();

    private Chromium(Process process, Path profile, String browserWs) {
        this.process = process;
        this.profile = profile;
        this.browserWs = browserWs;
    }

    public static Path executable() {
        for (String p : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
            if (Files.isExecutable(Path.of(p))) {
                return Path.of(p);
            }
        }
        throw new IllegalStateException("no chromium at /usr/bin/chromium: the browser test needs Debian's chromium;"
                + " install it with: apt-get install chromium (dev/test does)");
    }

    /** Starts the browser with a window of the given size; returns once DevTools listens. */
    public static Chromium launch(int width, int height) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("pd-chromium");
        List<String> cmd = new ArrayList<>(List.of(executable().toString(), "--headless=new", "--no-sandbox",
                "--disable-gpu", "--disable-background-networking", "--no-first-run", "--no-default-browser-check",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0", "--window-size=" + width + "," + height, "about:blank"));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        CompletableFuture<String> ws = new CompletableFuture<>();
        StringBuilder log = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (log) {
                        log.append(line).append('\n');
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        ws.complete(m.group(1));
                    }
                }
            } catch (IOException e) {
                ws.completeExceptionally(e);
            }
            ws.completeExceptionally(new IOException("chromium ended before DevTools listened"));
        }, "chromium-stderr");
        reader.setDaemon(true);
        reader.start();
        try {
            Chromium c = new Chromium(p, profile, ws.get(60, TimeUnit.SECONDS));
            c.log.append(log);
            return c;
        } catch (Exception e) {
            p.destroyForcibly();
            synchronized (log) {
                throw new IOException("chromium did not start its DevTools endpoint within 60 s: " + e.getMessage()
                        + "\n" + log, e);
            }
        }
    }

    /** ws://127.0.0.1:PORT/devtools/browser/ID */
    public String browserWebSocket() {
        return browserWs;
    }

    /** The DevTools HTTP port. */
    public int port() {
        return java.net.URI.create(browserWs).getPort();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (var files = Files.walk(profile)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
