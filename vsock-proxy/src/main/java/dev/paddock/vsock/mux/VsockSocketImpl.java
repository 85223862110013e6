package dev.paddock.vsock.mux;

import dev.paddock.runtime.virtio.vsock.VsockPeer;
import dev.paddock.runtime.virtio.vsock.VsockStream;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A device stream adapted to Vert.x: the {@link VsockPeer} the device calls (on its event loop; every call hops
 * onto this socket's context at once) and the {@link VsockSocket} the host side uses.
 *
 * <p>All state is confined to {@link #context}. The device stream may arrive after the socket exists (a
 * host-initiated connect completes on the device's thread, and the guest may send before that completion hops
 * over): writes and credit returns wait until it is {@link #attach attached}.
 */
final class VsockSocketImpl implements VsockSocket {
    /** Bytes waiting on our side (before the device took them) that make {@link #writeQueueFull()} true. */
    static final int DEFAULT_WRITE_QUEUE_MAX_SIZE = 64 * 1024;

    private final Context context;
    private final String description;
    private final Promise<Void> closed = Promise.promise();
    private final ArrayDeque<Buffer> inbound = new ArrayDeque<>();
    private final ArrayDeque<ByteBuffer> unsent = new ArrayDeque<>();
    /** Written by any thread in write(), so writeQueueFull() is right for the caller's very next question. */
    private final AtomicLong waitingBytes = new AtomicLong();

    private VsockStream stream;
    private long guestCid = -1;
    private int guestPort = -1;
    private int hostPort = -1;
    /** Delivered to the handler before the stream was attached; returned as credit on attach. */
    private long consumedBeforeAttach;

    private volatile boolean deviceFull;
    private volatile int maxQueued = DEFAULT_WRITE_QUEUE_MAX_SIZE;
    private long demand = Long.MAX_VALUE;
    private boolean delivering;
    private boolean inputEnded;
    private boolean endDelivered;
    private boolean outputEnded;
    private boolean gone;
    private Throwable failure;
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;
    private Handler<Void> drainHandler;
    private Handler<Throwable> exceptionHandler;

    VsockSocketImpl(Context context, String description) {
        this.context = context;
        this.description = description;
    }

    /** The device's stream for this socket; called on the context. Flushes what waited for it. */
    void attach(VsockStream stream) {
        this.stream = stream;
        this.guestCid = stream.guestCid();
        this.guestPort = stream.guestPort();
        this.hostPort = stream.hostPort();
        if (gone) {
            stream.reset(); // reset() or a failure came first: the guest must not keep a half-open stream
            return;
        }
        if (consumedBeforeAttach > 0) {
            returnCredit(consumedBeforeAttach);
            consumedBeforeAttach = 0;
        }
        while (!unsent.isEmpty()) {
            ByteBuffer next = unsent.poll();
            waitingBytes.addAndGet(-next.remaining());
            if (!push(next)) {
                unsent.clear();
                waitingBytes.set(0);
                break; // onClosed is on its way and fails the socket
            }
        }
        if (outputEnded) {
            stream.shutdownOutput();
        }
        maybeDrain();
    }

    /** A host-initiated connect failed before any stream existed. */
    void connectFailed(Throwable cause) {
        gone = true;
        failure = cause;
        unsent.clear();
        waitingBytes.set(0);
        closed.tryFail(cause);
    }

    /** What the device calls; each call returns at once after queueing the work on the context. */
    VsockPeer peer() {
        return new VsockPeer() {
            @Override
            public void onData(ByteBuffer data) {
                // data is valid only during this call (VsockPeer#onData): copy it into a Buffer the handler may keep.
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                context.runOnContext(v -> receive(Buffer.buffer(bytes)));
            }

            @Override
            public void onGuestShutdownSend() {
                context.runOnContext(v -> receiveEnd());
            }

            @Override
            public void onWritable() {
                context.runOnContext(v -> {
                    deviceFull = false;
                    maybeDrain();
                });
            }

            @Override
            public void onClosed(String reason) {
                context.runOnContext(v -> streamGone(reason));
            }
        };
    }

    // ---- device events, on the context ----

    private void receive(Buffer data) {
        if (gone) {
            return; // a reset() on our side crossed the guest's bytes; nothing will read them
        }
        if (data.length() > 0) {
            inbound.add(data);
        }
        deliver();
    }

    private void receiveEnd() {
        inputEnded = true;
        deliver();
    }

    private void streamGone(String reason) {
        if (gone) {
            return;
        }
        gone = true;
        deviceFull = false;
        unsent.clear();
        waitingBytes.set(0);
        if (inputEnded) {
            closed.tryComplete();
            return;
        }
        // Not an orderly end: the guest reset, its driver reset, or the device went away. Bytes still queued here
        // were sent before the abort; Linux drops them on a RST, and so do we.
        inbound.clear();
        fail(new VsockClosedException(description + " was closed before the guest ended its output: " + reason));
    }

    private void fail(Throwable cause) {
        failure = cause;
        closed.tryFail(cause);
        Handler<Throwable> h = exceptionHandler;
        if (h != null && !endDelivered) {
            h.handle(cause);
        }
    }

    // ---- reading ----

    private void deliver() {
        if (delivering) {
            return; // a handler called fetch/resume re-entrantly; the outer loop goes on
        }
        delivering = true;
        try {
            while (handler != null && demand > 0 && !inbound.isEmpty() && failure == null) {
                Buffer next = inbound.poll();
                if (demand != Long.MAX_VALUE) {
                    demand--;
                }
                handler.handle(next);
                // Credit goes back only now that the bytes were passed on: a slow reader slows the guest.
                returnCredit(next.length());
            }
            if (inputEnded && inbound.isEmpty() && !endDelivered && failure == null && endHandler != null) {
                endDelivered = true;
                endHandler.handle(null);
            }
        } finally {
            delivering = false;
        }
    }

    private void returnCredit(long bytes) {
        if (stream == null) {
            consumedBeforeAttach += bytes;
        } else if (!gone) {
            stream.consumed((int) bytes);
        }
    }

    @Override
    public VsockSocket handler(Handler<Buffer> handler) {
        onContext(() -> {
            this.handler = handler;
            deliver();
        });
        return this;
    }

    @Override
    public VsockSocket pause() {
        onContext(() -> demand = 0);
        return this;
    }

    @Override
    public VsockSocket resume() {
        return fetch(Long.MAX_VALUE);
    }

    @Override
    public VsockSocket fetch(long amount) {
        if (amount < 0) {
            throw new IllegalArgumentException("fetch amount on " + description + " must be >= 0, got " + amount);
        }
        onContext(() -> {
            demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
            deliver();
        });
        return this;
    }

    @Override
    public VsockSocket endHandler(Handler<Void> endHandler) {
        onContext(() -> {
            this.endHandler = endHandler;
            deliver();
        });
        return this;
    }

    @Override
    public VsockSocket exceptionHandler(Handler<Throwable> handler) {
        onContext(() -> this.exceptionHandler = handler);
        return this;
    }

    // ---- writing ----

    @Override
    public Future<Void> write(Buffer data) {
        if (data.length() == 0) {
            return Future.succeededFuture();
        }
        ByteBuffer copy = ByteBuffer.wrap(data.getBytes()); // the caller may reuse its buffer once write returns
        waitingBytes.addAndGet(copy.remaining());
        Promise<Void> written = Promise.promise();
        onContext(() -> {
            if (failure != null || gone) {
                waitingBytes.addAndGet(-copy.remaining());
                written.fail(failure != null ? failure
                        : new VsockClosedException(description + " is closed; nothing more can be written"));
            } else if (outputEnded) {
                waitingBytes.addAndGet(-copy.remaining());
                written.fail(new IllegalStateException(description + " was ended; write after end() is a caller bug"));
            } else if (stream == null) {
                unsent.add(copy);
                written.complete();
            } else {
                waitingBytes.addAndGet(-copy.remaining());
                if (push(copy)) {
                    written.complete(); // the device owns the bytes now (VsockStream#write)
                } else {
                    written.fail(new VsockClosedException(description + " closed while writing"));
                }
            }
        });
        return written.future();
    }

    /**
     * Hands bytes to the device; false when the stream turned out to be closed. The device closes streams on its
     * own loop (a guest RST) and says so through onClosed, which may still be on its way to this context; its
     * write() throws in that window, and that is the stream going away, not a bug here.
     */
    private boolean push(ByteBuffer bytes) {
        try {
            if (!stream.write(bytes)) {
                deviceFull = true; // the device calls onWritable once the guest's credit drained it below low water
            }
            return true;
        } catch (IllegalStateException closedMeanwhile) {
            return false;
        }
    }

    @Override
    public Future<Void> end() {
        Promise<Void> ended = Promise.promise();
        onContext(() -> {
            if (failure != null) {
                ended.fail(failure);
                return;
            }
            if (!outputEnded && !gone) {
                outputEnded = true;
                if (stream != null) {
                    stream.shutdownOutput(); // VIRTIO_VSOCK_SHUTDOWN_SEND once the queued bytes are out
                }
            }
            ended.complete();
        });
        return ended.future();
    }

    @Override
    public VsockSocket setWriteQueueMaxSize(int maxSize) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("write queue max size on " + description + " must be >= 1, got "
                    + maxSize);
        }
        maxQueued = maxSize;
        return this;
    }

    @Override
    public boolean writeQueueFull() {
        return deviceFull || waitingBytes.get() >= maxQueued;
    }

    @Override
    public VsockSocket drainHandler(Handler<Void> handler) {
        onContext(() -> {
            drainHandler = handler;
            // A writer on another context checks writeQueueFull() and then sets this handler; onWritable may
            // have run in between and found no handler. Call it now in that case, or the writer waits forever.
            maybeDrain();
        });
        return this;
    }

    private void maybeDrain() {
        Handler<Void> h = drainHandler;
        if (h != null && !writeQueueFull() && failure == null) {
            h.handle(null);
        }
    }

    // ---- lifecycle ----

    @Override
    public Future<Void> closed() {
        return closed.future();
    }

    @Override
    public Future<Void> reset() {
        Promise<Void> done = Promise.promise();
        onContext(() -> {
            if (!gone) {
                gone = true;
                unsent.clear();
                inbound.clear();
                waitingBytes.set(0);
                if (stream != null) {
                    stream.reset();
                }
                fail(new VsockClosedException(description + " was reset by the host"));
            }
            done.complete();
        });
        return done.future();
    }

    @Override
    public void abort() {
        reset();
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public long guestCid() {
        return guestCid;
    }

    @Override
    public int guestPort() {
        return guestPort;
    }

    @Override
    public int hostPort() {
        return hostPort;
    }

    @Override
    public Context context() {
        return context;
    }

    private void onContext(Runnable action) {
        if (Vertx.currentContext() == context) {
            action.run();
        } else {
            context.runOnContext(v -> action.run());
        }
    }

    @Override
    public String toString() {
        return description + " [" + inbound.size() + " buffers unread, demand "
                + (demand == Long.MAX_VALUE ? "flowing" : demand) + ", " + waitingBytes.get() + " bytes waiting"
                + (deviceFull ? ", device full" : "") + (inputEnded ? ", guest ended" : "")
                + (outputEnded ? ", host ended" : "") + (gone ? ", gone" : "") + "]";
    }
}
