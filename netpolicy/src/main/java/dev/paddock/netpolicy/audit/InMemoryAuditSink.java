package dev.paddock.netpolicy.audit;

import java.util.ArrayList;
import java.util.List;

/** Keeps events in memory, up to a bound, for tests and for a short "recent decisions" view. */
public final class InMemoryAuditSink implements AuditSink {
    private final int capacity;
    private final List<AuditEvent> events = new ArrayList<>();
    private long dropped;

    public InMemoryAuditSink(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    @Override
    public synchronized void record(AuditEvent event) {
        if (events.size() == capacity) {
            events.remove(0);
            dropped++;
        }
        events.add(event);
    }

    /** A copy of the events kept, oldest first. */
    public synchronized List<AuditEvent> events() {
        return List.copyOf(events);
    }

    /** How many of the oldest events were pushed out by the bound. */
    public synchronized long dropped() {
        return dropped;
    }
}
