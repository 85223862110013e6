package dev.paddock.vsock.mux;

import dev.paddock.vsock.splice.DuplexStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;

/**
 * One vsock stream between the host and a sandbox's guest, on a Vert.x context: reading gives the guest's bytes,
 * writing sends bytes to the guest, {@link #end()} shuts down the host's sending side (the guest reads EOF).
 *
 * <p>Back-pressure both ways: the guest gets credit back only for bytes handed to the {@link #handler}, so a
 * paused socket stops the guest after its credit window; {@link #writeQueueFull()} is true while the device's
 * send buffer for this stream is over its high-water mark, and the drain handler runs when the guest's credit
 * has brought it down again. {@code pipeTo} in either direction is therefore bounded.
 *
 * <p>Every method may be called from any thread; handlers run on the socket's context.
 */
public interface VsockSocket extends DuplexStream {

    /** The guest's context ID. */
    long guestCid();

    /** The port on the guest's side. */
    int guestPort();

    /** The port on the host's side (CID 2). */
    int hostPort();

    /**
     * Completes when the stream is gone after the guest ended its sending side (an orderly close); fails with
     * {@link VsockClosedException} when it ended any other way (a RST, the guest's driver reset, the device
     * stopped, or {@link #reset()}).
     */
    @Override
    Future<Void> closed();

    /** The context this socket's handlers run on. */
    Context context();

    /** Aborts the stream with a RST; bytes not yet sent are dropped. */
    Future<Void> reset();

    @Override
    VsockSocket exceptionHandler(Handler<Throwable> handler);

    @Override
    VsockSocket handler(Handler<Buffer> handler);

    @Override
    VsockSocket pause();

    @Override
    VsockSocket resume();

    @Override
    VsockSocket fetch(long amount);

    @Override
    VsockSocket endHandler(Handler<Void> endHandler);

    @Override
    VsockSocket setWriteQueueMaxSize(int maxSize);

    @Override
    VsockSocket drainHandler(Handler<Void> handler);
}
