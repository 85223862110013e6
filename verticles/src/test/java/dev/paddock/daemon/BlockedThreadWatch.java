package dev.paddock.daemon;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the warnings of Vert.x's blocked-thread checker (JUL logger {@code io.vertx.core.impl.BlockedThreadChecker}),
 * so a test fails when anything blocked an event loop longer than the test's limit.
 */
public final class BlockedThreadWatch extends Handler {
    static final String LOGGER = "io.vertx.core.impl.BlockedThreadChecker";
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger(LOGGER);

    public static BlockedThreadWatch install() {
        BlockedThreadWatch watch = new BlockedThreadWatch();
        watch.logger.addHandler(watch);
        return watch;
    }

    public void clear() {
        warnings.clear();
    }

    public List<String> warnings() {
        return warnings;
    }

    /** Frames that only appear on a thread that waits: I/O, processes, sleeping, parking, awaiting. */
    private static final List<String> BLOCKING_FRAMES = List.of("java.nio.file.Files.", "java.io.File",
            "sun.nio.fs.", "sun.nio.ch.FileChannelImpl", "java.lang.ProcessBuilder.start", "java.lang.Process.waitFor",
            "java.lang.Thread.sleep", "java.util.concurrent.locks.LockSupport.park", "java.lang.Object.wait",
            "io.vertx.core.Future.await", "java.util.concurrent.CompletableFuture.join",
            "java.util.concurrent.CompletableFuture.get", "sun.nio.ch.SocketChannelImpl.connect");
    private static final java.util.regex.Pattern MILLIS = java.util.regex.Pattern.compile("blocked for (\\d+) ms");

    /**
     * The warnings that show real blocking: a stack inside a blocking call, or a block of a whole second. On a
     * shared, overloaded host (load far above the core count) a loop is also reported when it was merely not
     * scheduled, even while idle in epoll_wait: those stacks show no blocking frame and are left out here.
     */
    public List<String> blocking() {
        return warnings.stream().filter(w -> BLOCKING_FRAMES.stream().anyMatch(w::contains) || millis(w) >= 1000)
                .toList();
    }

    private static long millis(String warning) {
        java.util.regex.Matcher m = MILLIS.matcher(warning);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Override
    public void publish(LogRecord record) {
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
            StringBuilder text = new StringBuilder(record.getMessage());
            Throwable where = record.getThrown();
            if (where != null) {
                for (StackTraceElement e : where.getStackTrace()) {
                    text.append("\n    at ").append(e);
                }
            }
            warnings.add(text.toString());
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        logger.removeHandler(this);
    }
}
