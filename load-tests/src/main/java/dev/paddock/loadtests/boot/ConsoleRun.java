package dev.paddock.loadtests.boot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
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
        long markerAt = -1;
        List<String> childTimings = new ArrayList<>();
        StringBuilder tail = new StringBuilder();
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
                long now = System.nanoTime();
                String text = line.toString(StandardCharsets.UTF_8).replace("\r", "");
                line.reset();
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
        int exit = process.waitFor();
        long exitAt = System.nanoTime();
        watchdog.interrupt();
        List<String> problems = new ArrayList<>(report.problems());
        if (exit != 0) {
            problems.add("exit status " + exit + (exitAt - start >= TimeUnit.SECONDS.toNanos(timeoutSeconds)
                    ? " (killed after the " + timeoutSeconds + " s timeout)" : ""));
        }
        return new Result(markerAt < 0 ? -1 : markerAt - start, exitAt - start, exit, report.markerUptime(),
                childTimings, problems, tail.toString());
    }
}
