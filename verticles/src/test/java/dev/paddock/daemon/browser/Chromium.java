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

    /**
     * Stops the browser and every process it started (renderers, the network service, the zygote keep writing into
     * the profile after the main process is gone), then removes the profile. A file that vanishes while the profile
     * is walked is not an error; the walk is retried until the directory is gone.
     */
    @Override
    public void close() throws IOException, InterruptedException {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        process.destroy();
        tree.forEach(ProcessHandle::destroy);
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (ProcessHandle h : tree) {
            while (h.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            h.destroyForcibly();
        }
        IOException last = null;
        for (int attempt = 0; attempt < 5 && Files.exists(profile); attempt++) {
            try {
                deleteTree(profile);
                last = null;
            } catch (IOException e) {
                last = e;
                Thread.sleep(100);
            }
        }
        if (last != null && Files.exists(profile)) {
            throw last;
        }
    }

    private static void deleteTree(Path root) throws IOException {
        Files.walkFileTree(root, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a)
                    throws IOException {
                Files.deleteIfExists(file);
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof java.nio.file.NoSuchFileException) {
                    return java.nio.file.FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof java.nio.file.NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(dir);
                return java.nio.file.FileVisitResult.CONTINUE;
            }
        });
    }
}
