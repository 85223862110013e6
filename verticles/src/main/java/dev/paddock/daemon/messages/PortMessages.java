package dev.paddock.daemon.messages;

import java.util.List;
import java.util.Objects;

/** The port requests the lifecycle verticle answers, and its replies (docs/event-bus.md). */
public final class PortMessages {
    private PortMessages() { }

    /** Asks for a sandbox's port publications, live or not. */
    public record PortsOf(String ref) {
        public PortsOf {
            Objects.requireNonNull(ref, "ref");
        }
    }

    /**
     * Publishes {@code guestPort} of a running sandbox on {@code hostAddress:hostPort} (0: any free port), and keeps
     * it in the sandbox's record so the next boot publishes it again. Already validated by the API.
     */
    public record PortAdd(String ref, int guestPort, int hostPort, String hostAddress) {
        public PortAdd {
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(hostAddress, "hostAddress");
        }
    }

    /** Unpublishes the port published on {@code hostPort} of a running sandbox, and drops it from its record. */
    public record PortRemove(String ref, int hostPort) {
        public PortRemove {
            Objects.requireNonNull(ref, "ref");
        }
    }

    /** One publication: live (hostPort is the bound one), or not and why (hostPort is the requested one). */
    public record PortStatus(int guestPort, int hostPort, String hostAddress, boolean published, String reason) {
    }

    public record PortList(List<PortStatus> ports) {
        public PortList {
            ports = List.copyOf(ports);
        }
    }
}
