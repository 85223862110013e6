package dev.paddock.vsock.agent;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the warnings of Vert.x's blocked-thread checker (JUL logger {@code io.vertx.core.impl.BlockedThreadChecker}
 * in Vert.x 5), so a test can assert that nothing blocked an event loop.
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

    public List<String> warnings() {
        return warnings;
    }

    public void clear() {
        warnings.clear();
    }

    @Override
    public void publish(LogRecord record) {
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
            Throwable where = record.getThrown();
            StringBuilder text = new StringBuilder(record.getMessage());
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
