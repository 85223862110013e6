package dev.paddock.netpolicy.audit;

import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/**
 * Publishes every audit event on the Vert.x event bus as a JSON object (the {@link AuditEvent} fields, absent
 * ones omitted), so the daemon's API, metrics and CLI can follow decisions live. Publishing never blocks.
 */
public final class EventBusAuditSink implements AuditSink {
    /** The address egress audit events are published to. */
    public static final String ADDRESS = "paddock.netpolicy.audit";

    private final EventBus bus;

    public EventBusAuditSink(EventBus bus) {
        this.bus = bus;
    }

    @Override
    public void record(AuditEvent event) {
        bus.publish(ADDRESS, JsonObject.mapFrom(event));
    }
}
