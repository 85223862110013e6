package dev.paddock.loadtests.boot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs one VMM process whose stdout is the guest's serial console and timestamps, on this side of the pipe, the
 * moment the init marker line arrives. The clock starts immediately before {@link ProcessBuilder#start()}, so a
 * VMM's own start-up (exec, dynamic linking, JVM start, firmware) is inside the figure.
 */
final class ConsoleRun {
    /** A child line that reports a figure only the child can measure, e.g. {@code PADDOCK-BOOT-TIMING name=value}. */
    static final String CHILD_TIMING = "PADDOCK-BOOT-TIMING ";

    record Result(long startToMarkerNanos, long startToExitNanos, int exitCode, Optional<Double> markerUptime,
                  List<String> childTimings, List<String> problems, String consoleTail) {
        boolean ok() {
            return problems.isEmpty();
        }
    }

    private ConsoleRun() {
    }

    static Result run(List<String> command, GuestReport report, long timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        long start = System.nanoTime();
        Process process = builder.start();
        process.getOutputStream().close();
        ConsoleLines lines = new ConsoleLines(report);
        Thread watchdog = new Thread(() -> {
            try {
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                // the run ended first: nothing to kill
            }
        }, "boot-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try (InputStream out = process.getInputStream()) {
            ByteArrayOutputStream line = new ByteArrayOutputStream(256);
            int b;
            while ((b = out.read()) >= 0) {
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                lines.accept(line.toString(StandardCharsets.UTF_8).replace("\r", ""), System.nanoTime());
                line.reset();
            }
        }
        int exit = process.waitFor();
        long exitAt = System.nanoTime();
        watchdog.interrupt();
        List<String> problems = new ArrayList<>(report.problems());
        if (exit != 0) {
            problems.add("exit status " + exit + (exitAt - start >= TimeUnit.SECONDS.toNanos(timeoutSeconds)
                    ? " (killed after the " + timeoutSeconds + " s timeout)" : ""));
        }
        return new Result(lines.markerAt < 0 ? -1 : lines.markerAt - start, exitAt - start, exit, report.markerUptime(),
                lines.childTimings, problems, lines.tail.toString());
    }
    /**
     * One boot through a running {@link PaddockBootServer}: the clock starts immediately before the request line is
     * written, as when a daemon is asked to start a sandbox, and the run ends at its {@code PADDOCK-BOOT-DONE} line.
     * A run that overstays {@code timeoutSeconds} kills the server. A server that is dead, or dies mid-run, gives a
     * broken result naming its exit status and the end of its stderr, never an exception: the caller decides
     * whether to start another ({@link BootServer#alive()}).
     */
    static Result request(BootServer server, String request, GuestReport report, long timeoutSeconds)
            throws InterruptedException {
        long start = System.nanoTime();
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(TimeUnit.SECONDS.toMillis(timeoutSeconds));
                server.process().destroyForcibly();
            } catch (InterruptedException e) {
                // the run ended first
            }
        }, "boot-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        ConsoleLines lines = new ConsoleLines(report);
        int exit = 1;
        boolean done = false;
        String sendFailure = null;
        try {
            server.send(request);
            String text;
            while ((text = server.readLine()) != null) {
                long now = System.nanoTime();
                if (text.startsWith(PaddockBootServer.DONE)) {
                    exit = text.startsWith(PaddockBootServer.DONE + "exit=0") ? 0 : 1;
                    done = true;
                    break;
                }
                lines.accept(text, now);
            }
        } catch (IOException e) {
            sendFailure = e.toString();
        }
        long exitAt = System.nanoTime();
        watchdog.interrupt();
        List<String> problems = new ArrayList<>(report.problems());
        if (!done) {
            problems.add("the boot server ended mid-run" + (sendFailure == null ? "" : " (" + sendFailure + ")")
                    + (exitAt - start >= TimeUnit.SECONDS.toNanos(timeoutSeconds)
                            ? ", killed after the " + timeoutSeconds + " s timeout" : "")
                    + ": " + server.death());
        } else if (exit != 0) {
            problems.add("the VM did not end with the guest's own power-off");
        }
        return new Result(lines.markerAt < 0 ? -1 : lines.markerAt - start, exitAt - start, exit, report.markerUptime(),
                lines.childTimings, problems, lines.tail.toString());
    }

    /**
     * A running {@link PaddockBootServer} process: requests on its stdin, lines from its stdout, its stderr in a
     * file of its own (so nothing the JVM says can block it or mix with the console, and a death says why).
     */
    record BootServer(Process process, java.io.BufferedReader out, java.io.Writer in, Path stderr) {
        /** How long {@link #death()} waits for a server whose stdout ended to exit. */
        private static final long EXIT_WAIT_SECONDS = 10;

        static BootServer start(List<String> command, Path stderr, long timeoutSeconds) throws IOException {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.to(stderr.toFile())).start();
            BootServer server = new BootServer(p,
                    new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)),
                    new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8), stderr);
            Thread watchdog = new Thread(() -> {
                try {
                    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                        p.destroyForcibly(); // not ready in time: unblocks the read below
                    }
                } catch (InterruptedException e) {
                    // ready first
                }
            }, "boot-server-start-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            StringBuilder seen = new StringBuilder();
            String line;
            while ((line = server.readLine()) != null) {
                if (line.equals(PaddockBootServer.READY)) {
                    watchdog.interrupt();
                    return server;
                }
                seen.append(line).append('\n');
            }
            watchdog.interrupt();
            p.destroyForcibly();
            throw new IOException("the Paddock boot server did not start (" + String.join(" ", command) + "); stdout: "
                    + seen + "; " + server.death());
        }

        boolean alive() {
            return process.isAlive();
        }

        void send(String line) throws IOException {
            in.write(line + "\n");
            in.flush();
        }

        String readLine() throws IOException {
            String line = out.readLine();
            return line == null ? null : line.replace("\r", "");
        }

        /** Why the server is gone: its exit status (a signal shows as 128 + N) and the end of its stderr. */
        String death() {
            String status;
            try {
                status = process.waitFor(EXIT_WAIT_SECONDS, TimeUnit.SECONDS)
                        ? "exit status " + process.exitValue() : "still running " + EXIT_WAIT_SECONDS + " s after its stdout ended";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                status = "interrupted while waiting for it to exit";
            }
            String err;
            try {
                String all = Files.readString(stderr, StandardCharsets.UTF_8);
                err = all.isBlank() ? "its stderr (" + stderr + ") is empty"
                        : "its stderr (" + stderr + ") ends: " + all.substring(Math.max(0, all.length() - 4000)).strip();
            } catch (IOException e) {
                err = "its stderr (" + stderr + ") cannot be read: " + e;
            }
            return status + "; " + err;
        }

        void close() throws IOException, InterruptedException {
            in.close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    /** What a run keeps of the console lines: when the marker came, the child's timings, and a bounded tail. */
    private static final class ConsoleLines {
        private final GuestReport report;
        private final List<String> childTimings = new ArrayList<>();
        private final StringBuilder tail = new StringBuilder();
        private long markerAt = -1;

        ConsoleLines(GuestReport report) {
            this.report = report;
        }

        void accept(String text, long now) {
            if (report.accept(text) && markerAt < 0) {
                markerAt = now;
            }
            if (text.startsWith(CHILD_TIMING)) {
                childTimings.add(text.substring(CHILD_TIMING.length()).strip());
            }
            tail.append(text).append('\n');
            if (tail.length() > 8192) {
                tail.delete(0, tail.length() - 4096);
            }
        }
    }
}
