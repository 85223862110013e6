package dev.paddock.daemon.messages;

import dev.paddock.daemon.sandbox.SandboxRecord;
import java.util.List;
import java.util.Objects;

/** The requests the proxy verticle answers (docs/event-bus.md). */
public final class ProxyMessages {
    private ProxyMessages() { }

    /** Asks for the state of a sandbox's port publications. */
    public record PortsQuery(SandboxRecord sandbox) {
        public PortsQuery {
            Objects.requireNonNull(sandbox, "sandbox");
        }
    }

    /** One publication: live, or not and why. */
    public record PortStatus(int guestPort, int hostPort, String hostAddress, boolean published, String reason) {
    }

    public record PortList(List<PortStatus> ports) {
        public PortList {
            ports = List.copyOf(ports);
        }
    }
}
