package dev.paddock.daemon.bus;

import dev.paddock.daemon.messages.EgressMessages;
import dev.paddock.daemon.messages.LifecycleRequests;
import dev.paddock.daemon.messages.PortMessages;
import dev.paddock.daemon.messages.SandboxEvent;
import dev.paddock.daemon.sandbox.SandboxRecord;
import dev.paddock.netpolicy.audit.AuditEvent;
import dev.paddock.netpolicy.secret.Secret;
import dev.paddock.netpolicy.secret.SecretInfo;
import io.vertx.core.eventbus.EventBus;
import java.util.List;

/** Registers the codec of every daemon message type, once per Vert.x instance (the daemon does it at start). */
public final class Codecs {
    private Codecs() { }

    /** Every record that travels on the bus and may leave the JVM (JSON on the wire). */
    static final List<Class<? extends Record>> WIRE_TYPES = List.of(
            SandboxRecord.class,
            LifecycleRequests.Create.class, LifecycleRequests.Ref.class, LifecycleRequests.Start.class,
            LifecycleRequests.Stop.class, LifecycleRequests.Remove.class, LifecycleRequests.ListAll.class,
            LifecycleRequests.SandboxList.class,
            SandboxEvent.StateChanged.class, SandboxEvent.BootProgress.class, SandboxEvent.ConsoleLine.class,
            SandboxEvent.Exited.class, SandboxEvent.EgressDecided.class, SandboxEvent.AgentLogLine.class,
            EgressMessages.PolicyQuery.class, EgressMessages.PolicyUpdate.class, EgressMessages.PolicyRemove.class,
            EgressMessages.PolicyView.class, SecretInfo.class, EgressMessages.SecretRef.class, EgressMessages.ListSecrets.class, EgressMessages.SecretList.class, EgressMessages.SecretCheck.class,
            EgressMessages.EgressDetach.class,
            EgressMessages.RecentQuery.class, EgressMessages.RecentDecisions.class,
            PortMessages.PortsOf.class, PortMessages.PortAdd.class, PortMessages.PortRemove.class,
            PortMessages.PortStatus.class, PortMessages.PortList.class, SandboxEvent.PortChanged.class,
            AuditEvent.class);

    public static void registerAll(EventBus bus) {
        for (Class<? extends Record> type : WIRE_TYPES) {
            register(bus, type);
        }
        bus.registerDefaultCodec(LifecycleRequests.AgentHandle.class,
                new LocalOnlyCodec<>(LifecycleRequests.AgentHandle.class, "holds a live agent connection"));
        bus.registerDefaultCodec(EgressMessages.EgressAttach.class, new LocalOnlyCodec<>(
                EgressMessages.EgressAttach.class, "holds a live vsock muxer and agent connection"));
        bus.registerDefaultCodec(Secret.class, new LocalOnlyCodec<>(Secret.class, "holds a secret's value"));
    }

    private static <T extends Record> void register(EventBus bus, Class<T> type) {
        bus.registerDefaultCodec(type, new RecordCodec<>(type));
    }
}
