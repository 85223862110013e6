package dev.paddock.netpolicy.audit;

/**
 * Where audit events go. {@link #record} is called on event loops, so implementations never block: they hand
 * the event off (a queue, the event bus) and return. Implementations are thread-safe.
 */
public interface AuditSink {
    void record(AuditEvent event);
}
