package dev.paddock.vsock.publish;

/** A guest TCP port reachable on the host: {@code hostAddress:hostPort} leads to {@code 127.0.0.1:guestPort} in the guest. */
public record PublishedPort(int guestPort, String hostAddress, int hostPort) {
}
