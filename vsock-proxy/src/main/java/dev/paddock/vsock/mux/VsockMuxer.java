package dev.paddock.vsock.mux;

import dev.paddock.runtime.virtio.vsock.VsockBackend;
import dev.paddock.runtime.virtio.vsock.VsockConnectException;
import dev.paddock.runtime.virtio.vsock.VsockConnector;
import dev.paddock.runtime.virtio.vsock.VsockPeer;
import dev.paddock.runtime.virtio.vsock.VsockStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The host side of one sandbox's virtio-vsock device, on Vert.x: it adapts the device's streams to
 * {@link VsockSocket}s, each bound to a Vert.x context.
 *
 * <ul>
 *   <li><b>Host-initiated</b> streams: {@link #connect(int)} opens one to a guest port through the device.</li>
 *   <li><b>Guest-initiated</b> streams reach only the host ports registered with {@link #registerGuestPort};
 *       every other port is refused, and the device answers the guest with a RST.</li>
 * </ul>
 *
 * <p>The device is created with this muxer as its {@link VsockBackend}, and then {@link #attach attached} to it
 * (the device is the {@link VsockConnector}). {@link #guestConnect} runs on the device's event loop and returns at
 * once; everything else happens on the sockets' contexts.
 */
public final class VsockMuxer implements VsockBackend {
    private record GuestPort(Context context, Handler<VsockSocket> handler) {
    }

    private final Vertx vertx;
    private final String sandbox;
    private final ConcurrentMap<Integer, GuestPort> guestPorts = new ConcurrentHashMap<>();
    private volatile VsockConnector device;

    /** @param sandbox the sandbox's name, for messages */
    public VsockMuxer(Vertx vertx, String sandbox) {
        this.vertx = vertx;
        this.sandbox = sandbox;
    }

    /** Binds the muxer to its device (the device implements {@link VsockConnector}); once. */
    public void attach(VsockConnector device) {
        synchronized (this) {
            if (this.device != null) {
                throw new IllegalStateException("the vsock muxer of sandbox " + sandbox
                        + " is already attached to a device; create one muxer per device");
            }
            this.device = device;
        }
    }

    /**
     * Opens a stream to {@code guestPort} in the guest. The socket lives on the caller's context (or a new event
     * loop). Fails with a {@link VsockConnectException} when nothing listens there, the device is not active, or
     * it has too many streams open.
     */
    public Future<VsockSocket> connect(int guestPort) {
        VsockConnector connector = device;
        if (connector == null) {
            return Future.failedFuture(new VsockConnectException("cannot connect to vsock port " + guestPort
                    + " of sandbox " + sandbox + ": its vsock device is not attached yet; start the sandbox first"));
        }
        return open(vertx, connector, guestPort, "vsock stream to port " + guestPort + " of sandbox " + sandbox);
    }

    /**
     * Opens a stream through any connector (the muxer's own {@link #connect} uses it, and so does a client that
     * holds a device without a muxer). The socket lives on the caller's context.
     */
    public static Future<VsockSocket> open(Vertx vertx, VsockConnector connector, int guestPort, String description) {
        Context context = vertx.getOrCreateContext();
        VsockSocketImpl socket = new VsockSocketImpl(context, description);
        Promise<VsockSocket> connected = Promise.promise();
        try {
            connector.connect(guestPort, socket.peer()).whenComplete((stream, error) -> context.runOnContext(v -> {
                if (error != null) {
                    Throwable cause = error instanceof CompletionException && error.getCause() != null
                            ? error.getCause() : error;
                    socket.connectFailed(cause);
                    connected.fail(cause);
                } else {
                    socket.attach(stream);
                    connected.complete(socket);
                }
            }));
        } catch (RuntimeException e) {
            return Future.failedFuture(new VsockConnectException("cannot open " + description + ": " + e));
        }
        return connected.future();
    }

    /**
     * Lets the guest connect to host port {@code port} (CID 2): each stream it opens there is handed to
     * {@code handler} on the caller's context (or a new event loop). One handler per port.
     */
    public void registerGuestPort(int port, Handler<VsockSocket> handler) {
        GuestPort entry = new GuestPort(vertx.getOrCreateContext(), handler);
        GuestPort previous = guestPorts.putIfAbsent(port, entry);
        if (previous != null) {
            throw new IllegalStateException("host vsock port " + port + " of sandbox " + sandbox
                    + " already has a handler; unregister it first");
        }
    }

    /** Refuses further guest connections to {@code port}; streams already open go on. True if it was registered. */
    public boolean unregisterGuestPort(int port) {
        return guestPorts.remove(port) != null;
    }

    /** Called by the device on its event loop: a registered port gets the stream, every other is refused (RST). */
    @Override
    public VsockPeer guestConnect(VsockStream stream) {
        // GUEST-CONTROLLED: the guest picks the host port; only ports Paddock registered are reachable.
        GuestPort entry = guestPorts.get(stream.hostPort());
        if (entry == null) {
            return null;
        }
        VsockSocketImpl socket = new VsockSocketImpl(entry.context(), "vsock stream from guest port "
                + stream.guestPort() + " to host port " + stream.hostPort() + " of sandbox " + sandbox);
        entry.context().runOnContext(v -> {
            socket.attach(stream);
            try {
                entry.handler().handle(socket);
            } catch (RuntimeException e) {
                socket.reset();
                throw e; // reported by the context's exception handler
            }
        });
        return socket.peer();
    }

    public String sandbox() {
        return sandbox;
    }
}
