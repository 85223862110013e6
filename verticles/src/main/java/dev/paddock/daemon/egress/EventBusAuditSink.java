package dev.paddock.daemon.egress;

import dev.paddock.daemon.Addresses;
import dev.paddock.netpolicy.audit.AuditEvent;
import dev.paddock.netpolicy.audit.AuditSink;
import io.vertx.core.eventbus.EventBus;

/**
 * The audit sink the daemon hands to netpolicy's filters (DNS filter, egress proxy): each decision goes to the
 * egress verticle on {@link Addresses#EGRESS_AUDIT}, which counts it and publishes it as an {@code egress} event.
 * Sending on the bus never blocks, as {@link AuditSink} requires.
 */
public final class EventBusAuditSink implements AuditSink {
    private final EventBus bus;

    public EventBusAuditSink(EventBus bus) {
        this.bus = bus;
    }

    @Override
    public void record(AuditEvent event) {
        bus.send(Addresses.EGRESS_AUDIT, event);
    }
}
