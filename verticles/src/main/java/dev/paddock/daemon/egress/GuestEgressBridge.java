package dev.paddock.daemon.egress;

import dev.paddock.netpolicy.address.IpAddresses;
import dev.paddock.vsock.mux.VsockMuxer;
import dev.paddock.vsock.splice.DuplexStream;
import dev.paddock.vsock.splice.HostSocket;
import dev.paddock.vsock.splice.Splice;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * One sandbox's egress over vsock (guest/PROTOCOL.md §12): the guest-initiated streams on host port
 * {@value #EGRESS_PORT} go to the egress proxy, those on {@value #DNS_PORT} to the sandbox's DNS filter.
 *
 * <p>An egress stream starts with the agent's {@link GuestEgressHeader}: it gives the original destination only.
 * The bridge connects to the proxy's loopback hand-off listener (netpolicy's {@code EgressProxyVerticle}, which
 * then calls its {@code EgressHandoff.accept}) and writes the hand-off line {@code PADDOCK-EGRESS 1 <sandbox> <ip>
 * <port>} itself, with the sandbox id it was created for — the VM whose vsock device the stream came through —
 * then splices the guest's bytes both ways. A DNS stream is already DNS-over-TCP framed and is spliced unchanged
 * onto the filter's TCP port. A bad header resets the stream; nothing is connected for it.
 */
public final class GuestEgressBridge {
    /** Host (CID 2) vsock port of egress streams; the agent's {@code EGRESS_VSOCK_PORT}. */
    public static final int EGRESS_PORT = 1025;
    /** Host (CID 2) vsock port of DNS streams; the agent's {@code DNS_VSOCK_PORT}. */
    public static final int DNS_PORT = 1053;
    private static final Pattern SANDBOX_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    /** Where guest streams arrive: {@link VsockMuxer#registerGuestPort}, or a test's fake. */
    @FunctionalInterface
    public interface GuestPorts {
        void register(int port, Consumer<DuplexStream> handler);

        static GuestPorts of(VsockMuxer muxer) {
            return (port, handler) -> muxer.registerGuestPort(port, handler::accept);
        }
    }

    private final String sandboxId;
    private final SocketAddress handoff;
    private final SocketAddress dns;
    private final NetClient client;
    private final Vertx vertx;

    /**
     * @param sandboxId the sandbox whose VM the streams come from
     * @param handoff   the egress proxy's hand-off listener (loopback)
     * @param dnsTcp    the sandbox's DNS filter, its TCP port (loopback)
     */
    public GuestEgressBridge(Vertx vertx, String sandboxId, InetSocketAddress handoff, InetSocketAddress dnsTcp) {
        if (!SANDBOX_ID.matcher(Objects.requireNonNull(sandboxId, "sandboxId")).matches()) {
            throw new IllegalArgumentException("sandbox id '" + sandboxId + "' cannot be written in a hand-off line;"
                    + " ids are [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
        }
        this.sandboxId = sandboxId;
        this.handoff = SocketAddress.inetSocketAddress(handoff);
        this.dns = SocketAddress.inetSocketAddress(dnsTcp);
        this.vertx = vertx;
        this.client = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
    }

    /** Registers both ports; call once the sandbox's vsock device is attached, before the guest's agent runs. */
    public void register(GuestPorts ports) {
        ports.register(EGRESS_PORT, this::acceptEgress);
        ports.register(DNS_PORT, this::acceptDns);
    }

    /** Closes the client; streams already spliced end with their sockets. */
    public Future<Void> close() {
        return client.close();
    }

    /** A guest egress stream: read the header (bounded), then hand it to the proxy. Runs on the stream's context. */
    public void acceptEgress(DuplexStream guest) {
        Buffer[] received = {Buffer.buffer()};
        guest.exceptionHandler(e -> guest.abort());
        guest.endHandler(v -> guest.abort()); // ended before its header: nothing to hand off
        guest.handler(chunk -> {
            received[0].appendBuffer(chunk);
            GuestEgressHeader.Parsed header;
            try {
                header = GuestEgressHeader.parse(received[0]).orElse(null);
            } catch (IllegalArgumentException e) {
                guest.handler(null);
                guest.abort();
                return;
            }
            if (header == null) {
                return;
            }
            guest.pause();
            guest.handler(null);
            guest.endHandler(null);
            Buffer first = Buffer.buffer(handoffLine(header.destination())).appendBuffer(header.rest());
            connectAndSplice(guest, handoff, first, "egress proxy hand-off for " + header.destination());
        });
        guest.resume();
    }

    /** A guest DNS stream: spliced as it is onto the DNS filter's TCP port. */
    public void acceptDns(DuplexStream guest) {
        guest.pause();
        connectAndSplice(guest, dns, null, "DNS filter of sandbox " + sandboxId);
    }

    /** The hand-off line, with this bridge's sandbox id (netpolicy's HandoffPreamble format). */
    String handoffLine(InetSocketAddress destination) {
        return "PADDOCK-EGRESS 1 " + sandboxId + " " + IpAddresses.toText(destination.getAddress()) + " "
                + destination.getPort() + "\r\n";
    }

    private void connectAndSplice(DuplexStream guest, SocketAddress target, Buffer first, String what) {
        // Called on the guest stream's context; the connect completes on the client's. The guest stream is only
        // touched back on its own context: a stream that is not safe across threads (a NetSocket) once lost the
        // first bytes of a DNS query when the splice set its handlers from the client's event loop.
        io.vertx.core.Context streamContext = vertx.getOrCreateContext();
        client.connect(target).onComplete(ar -> streamContext.runOnContext(v -> {
            if (ar.failed()) {
                guest.abort();
                return;
            }
            NetSocket socket = ar.result();
            HostSocket host = HostSocket.wrap(socket, what);
            Future<Void> written = first == null ? Future.succeededFuture() : host.write(first);
            written.onComplete(w -> {
                if (w.failed()) {
                    host.abort();
                    guest.abort();
                    return;
                }
                Splice.join(guest, host);
            });
        }));
    }
}
