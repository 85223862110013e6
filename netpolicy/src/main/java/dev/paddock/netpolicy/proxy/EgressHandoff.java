package dev.paddock.netpolicy.proxy;

/**
 * Where the host bridge hands guest connections to the egress proxy. Implementations classify the connection
 * (TLS SNI, HTTP Host, opaque TCP), decide it, and splice it upstream or deny it; they never block.
 *
 * <p>Contract: the connection's channel is active, registered on the proxy's event loop
 * ({@link EgressProxyVerticle#eventLoop()}), and nothing has been read from it yet. From this call on the
 * proxy owns the channel and closes it.
 */
@FunctionalInterface
public interface EgressHandoff {
    void accept(EgressConnection connection);
}
