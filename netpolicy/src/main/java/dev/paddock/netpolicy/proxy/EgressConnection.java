package dev.paddock.netpolicy.proxy;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One guest connection handed to the host: which sandbox opened it, where it was going, and the byte stream.
 *
 * <p>The guest agent intercepts every outbound TCP connection (iptables REDIRECT, then {@code SO_ORIGINAL_DST})
 * and sends it over vsock with its original destination; the host bridge turns that stream into a Netty
 * {@link Channel} registered on the proxy's event loop (a socket on loopback today, a vsock stream adapter
 * later) and calls {@link EgressHandoff#accept}. Nothing the guest says can change {@code sandboxId}: it comes
 * from which vsock port/VM the stream arrived on.
 *
 * @param sandboxId           the sandbox (from the VM, never from guest bytes)
 * @param originalDestination the address and port the guest connected to (GUEST-CONTROLLED)
 * @param guest               the guest side of the connection
 */
public record EgressConnection(String sandboxId, InetSocketAddress originalDestination, Channel guest) {
    public EgressConnection {
        Objects.requireNonNull(sandboxId, "sandboxId");
        Objects.requireNonNull(originalDestination, "originalDestination");
        Objects.requireNonNull(guest, "guest");
        if (originalDestination.isUnresolved()) {
            throw new IllegalArgumentException("original destination " + originalDestination + " must be an address,"
                    + " as SO_ORIGINAL_DST reports it, not a name");
        }
    }
}
