package dev.paddock.netpolicy.audit;

import java.util.List;

/** Combines sinks: the proxy and DNS filter take one, the daemon wants the log file and the event bus. */
public final class AuditSinks {
    private AuditSinks() { }

    /** A sink that records each event to every one of {@code sinks}, in order. */
    public static AuditSink all(AuditSink... sinks) {
        List<AuditSink> list = List.of(sinks);
        return event -> {
            for (AuditSink s : list) {
                s.record(event);
            }
        };
    }
}
