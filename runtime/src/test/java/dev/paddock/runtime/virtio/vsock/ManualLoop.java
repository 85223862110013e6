package dev.paddock.runtime.virtio.vsock;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/** The device event loop for tests: tasks wait until the test runs them, on the test's thread. */
final class ManualLoop implements Executor {
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private volatile boolean stopped;

    @Override
    public void execute(Runnable task) {
        if (stopped) {
            throw new RejectedExecutionException("the test loop has stopped");
        }
        tasks.add(task);
    }

    /** Runs tasks until none is left (tasks may queue more). Returns how many ran. */
    int runAll() {
        int n = 0;
        Runnable t;
        while ((t = tasks.poll()) != null) {
            t.run();
            n++;
        }
        return n;
    }

    /** As a VM's loop does when it ends: later tasks are rejected, queued ones dropped. */
    void stop() {
        stopped = true;
        tasks.clear();
    }
}
