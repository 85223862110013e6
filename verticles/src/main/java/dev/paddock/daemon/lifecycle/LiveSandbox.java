package dev.paddock.daemon.lifecycle;

import dev.paddock.daemon.driver.RunningSandbox;
import dev.paddock.daemon.sandbox.SandboxRecord;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;

/** The lifecycle verticle's mutable view of one sandbox; confined to the verticle's event loop. */
final class LiveSandbox {
    SandboxRecord record;
    RunningSandbox running;
    long bootStartedNanos;
    /** Waiters for the boot in progress: completed with the ready record, or failed. */
    final List<Promise<SandboxRecord>> bootWaiters = new ArrayList<>();
    /** Waiters for the stop in progress: completed with the stopped (or failed) record. */
    final List<Promise<SandboxRecord>> stopWaiters = new ArrayList<>();
    long killTimer = -1;

    LiveSandbox(SandboxRecord record) {
        this.record = record;
    }

    String id() {
        return record.id();
    }
}
