package dev.paddock.daemon.sandbox;

import java.util.Objects;

/** A guest TCP port the user asked to publish on the host; hostPort 0 means any free port. */
public record PortRequest(int guestPort, int hostPort, String hostAddress) {
    public PortRequest {
        Objects.requireNonNull(hostAddress, "hostAddress");
    }
}
