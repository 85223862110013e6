package dev.paddock.netpolicy.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Appends one JSON object per line to a file. {@link #record} only enqueues (event loops call it); one writer
 * thread drains the queue and flushes after each batch. When the queue is full the event is counted, not
 * waited for, and the next line written is {@code {"dropped": n}} so the log itself says events are missing.
 */
public final class JsonLinesAuditSink implements AuditSink, AutoCloseable {
    private static final AuditEvent STOP = new AuditEvent("-", "-", "-", "-", null, null, "-", null, null, null,
            0, 0, 0, null);

    private final ObjectMapper mapper = new ObjectMapper();
    private final BlockingQueue<AuditEvent> queue;
    private final BufferedWriter out;
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private volatile IOException failure;

    public JsonLinesAuditSink(Path file, int queueCapacity) throws IOException {
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        this.writer = new Thread(this::drain, "paddock-audit-writer " + file.getFileName());
        this.writer.setDaemon(true);
        this.writer.start();
    }

    @Override
    public void record(AuditEvent event) {
        if (!queue.offer(event)) {
            dropped.incrementAndGet();
        }
    }

    private void drain() {
        List<AuditEvent> batch = new ArrayList<>();
        try {
            while (true) {
                AuditEvent first = queue.take();
                batch.add(first);
                queue.drainTo(batch);
                long lost = dropped.getAndSet(0);
                if (lost > 0) {
                    out.write("{\"dropped\":" + lost + "}");
                    out.newLine();
                }
                boolean stop = false;
                for (AuditEvent e : batch) {
                    if (e == STOP) {
                        stop = true;
                        break;
                    }
                    out.write(mapper.writeValueAsString(e));
                    out.newLine();
                }
                out.flush();
                batch.clear();
                if (stop) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            failure = e;
        }
    }

    /** Writes what is queued, then closes the file; throws if any write failed. */
    @Override
    public void close() throws IOException {
        try {
            // A writer that died on an I/O error no longer drains, so never wait forever for room.
            if (queue.offer(STOP, 10, TimeUnit.SECONDS)) {
                writer.join(TimeUnit.SECONDS.toMillis(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        out.close();
        if (failure != null) {
            throw new UncheckedIOException("audit log writes failed; events after the failure are lost", failure);
        }
    }
}
