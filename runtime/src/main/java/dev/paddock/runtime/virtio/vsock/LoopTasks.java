package dev.paddock.runtime.virtio.vsock;

import java.lang.System.Logger.Level;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Work handed to the device event loop from any thread (host calls on streams and the connector), coalesced:
 * a burst of calls costs one wake-up of the loop. After each batch the device flushes what the tasks made ready
 * (RX packets, interrupts).
 */
final class LoopTasks {
    private static final System.Logger LOG = System.getLogger(LoopTasks.class.getName());

    private final Executor loop;
    private final Runnable afterBatch;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile boolean closed;

    LoopTasks(Executor loop, Runnable afterBatch) {
        this.loop = loop;
        this.afterBatch = afterBatch;
    }

    /**
     * Runs {@code task} on the loop, after the tasks already queued. Any thread.
     *
     * @return false when the loop no longer takes work (the VM is ending); the task will never run
     */
    boolean submit(Runnable task) {
        if (closed) {
            return false;
        }
        tasks.add(task);
        if (scheduled.compareAndSet(false, true)) {
            try {
                loop.execute(this::runBatch);
            } catch (RejectedExecutionException e) {
                closed = true;
                tasks.clear();
                return false;
            }
        }
        return true;
    }

    /** After the loop ended: nothing more runs. */
    void close() {
        closed = true;
        tasks.clear();
    }

    private void runBatch() {
        // Cleared first: a task added from now on either is polled below or schedules another batch.
        scheduled.set(false);
        Runnable task;
        while (!closed && (task = tasks.poll()) != null) {
            try {
                task.run();
            } catch (RuntimeException e) {
                // A device bug: keep the loop (and the other devices on it) alive, and say so.
                LOG.log(Level.ERROR, "virtio-vsock: a host task failed on the device loop", e);
            }
        }
        try {
            afterBatch.run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "virtio-vsock: flushing after host tasks failed on the device loop", e);
        }
    }
}
