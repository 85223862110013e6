package dev.paddock.vsock.agent.impl;

import dev.paddock.vsock.agent.AgentErrorCode;
import dev.paddock.vsock.agent.AgentProtocolException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.util.ArrayDeque;

/**
 * One direction of data to the agent (an exec's stdin, or a stream's outbound half) as a {@link WriteStream},
 * with the sending side of credit-based flow control.
 *
 * <p>Bytes go on the wire only as far as the agent's credit allows, in frames of at most the protocol's data
 * size; the rest wait here. {@link #writeQueueFull()} is true once {@link #setWriteQueueMaxSize} bytes wait, and
 * the drain handler runs when credit from the agent has brought the waiting bytes below half of that, so
 * {@code pipeTo} from a fast source stops at the agent's window plus this queue.
 *
 * <p>All state is confined to the connection's context; methods called from elsewhere hop onto it.
 */
final class OutboundChannel implements WriteStream<Buffer> {
    /** What the channel needs from the connection: put one data frame or the end frame on the wire. */
    interface FrameSink {
        Future<Void> sendData(Buffer chunk);

        Future<Void> sendEnd();
    }

    static final int DEFAULT_WRITE_QUEUE_MAX_SIZE = 64 * 1024;
    /** PROTOCOL.md §5: a window may not exceed 2^31 - 1. */
    static final long MAX_WINDOW = Integer.MAX_VALUE;

    private record PendingWrite(Buffer data, Promise<Void> written) {
    }

    private final Context context;
    private final String name;
    private final int maxChunk;
    private final FrameSink sink;
    private final ArrayDeque<PendingWrite> queue = new ArrayDeque<>();

    private long credit;
    /** Bytes accepted by write() and not yet on the wire; written from any thread, hence the lock. */
    private long waitingBytes;
    private volatile int maxQueued = DEFAULT_WRITE_QUEUE_MAX_SIZE;
    private boolean wasFull;
    private Promise<Void> endPromise;
    private boolean endSent;
    private Throwable failure;
    private Handler<Void> drainHandler;
    private Handler<Throwable> exceptionHandler;

    OutboundChannel(Context context, String name, int maxChunk, long initialCredit, FrameSink sink) {
        this.context = context;
        this.name = name;
        this.maxChunk = maxChunk;
        this.credit = initialCredit;
        this.sink = sink;
    }

    // ---- from the connection (always on the context) ----

    /** The agent granted more credit. */
    void receiveCredit(long bytes) {
        // GUEST-CONTROLLED: §5 caps a window at 2^31 - 1; a grant beyond it is a FLOW_CONTROL connection error.
        if (credit + bytes > MAX_WINDOW) {
            throw new AgentProtocolException(AgentErrorCode.FLOW_CONTROL, "agent granted " + bytes
                    + " bytes of credit on " + name + " on top of " + credit + ", beyond the largest window "
                    + MAX_WINDOW + " (PROTOCOL.md §5)");
        }
        credit += bytes;
        flush();
    }

    /** The connection failed or the peer closed this direction: fail what waits and every later write. */
    void fail(Throwable cause) {
        if (failure != null) {
            return;
        }
        failure = cause;
        for (PendingWrite w : queue) {
            w.written.tryFail(cause);
        }
        queue.clear();
        synchronized (this) {
            waitingBytes = 0;
        }
        if (endPromise != null) {
            endPromise.tryFail(cause);
        }
        Handler<Throwable> h = exceptionHandler;
        if (h != null && !endSent) {
            h.handle(cause);
        }
    }

    long credit() {
        return credit;
    }

    // ---- WriteStream (any thread) ----

    @Override
    public OutboundChannel exceptionHandler(Handler<Throwable> handler) {
        onContext(() -> exceptionHandler = handler);
        return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
        if (data.length() == 0) {
            return Future.succeededFuture(); // nothing to send; an empty data frame could read as EOF on the wire
        }
        Promise<Void> written = Promise.promise();
        Buffer copy = data.copy(); // the caller may reuse its buffer once write returns
        synchronized (this) {
            // Counted at once, so writeQueueFull() is right for the caller's very next question.
            waitingBytes += copy.length();
            if (waitingBytes >= maxQueued) {
                wasFull = true; // the caller may now wait for drain, even if flush() sends it all at once
            }
        }
        onContext(() -> {
            if (failure != null) {
                written.fail(failure);
            } else if (endPromise != null) {
                written.fail(new IllegalStateException(name + " was ended; write after end() is a caller bug"));
            } else {
                queue.add(new PendingWrite(copy, written));
                flush();
                return;
            }
            synchronized (this) {
                waitingBytes -= copy.length();
            }
        });
        return written.future();
    }

    @Override
    public Future<Void> end() {
        Promise<Void> ended = Promise.promise();
        onContext(() -> {
            if (failure != null) {
                ended.fail(failure);
            } else if (endPromise != null) {
                endPromise.future().onComplete(ended);
            } else {
                endPromise = ended;
                flush();
            }
        });
        return ended.future();
    }

    @Override
    public OutboundChannel setWriteQueueMaxSize(int maxSize) {
        if (maxSize < 1) {
            throw new IllegalArgumentException("write queue max size on " + name + " must be >= 1, got " + maxSize);
        }
        maxQueued = maxSize;
        return this;
    }

    @Override
    public synchronized boolean writeQueueFull() {
        return waitingBytes >= maxQueued;
    }

    @Override
    public OutboundChannel drainHandler(Handler<Void> handler) {
        onContext(() -> {
            drainHandler = handler;
            // The writer that saw writeQueueFull() sets its handler from its own thread; credit may have arrived
            // and flushed the queue before this runs, and that flush found no handler to call. Call it now, or
            // the writer (e.g. a pipe's paused source) would wait forever. A spare call is harmless.
            boolean drainedMeanwhile;
            synchronized (this) {
                drainedMeanwhile = handler != null && !wasFull && waitingBytes <= maxQueued / 2 && failure == null;
            }
            if (drainedMeanwhile) {
                handler.handle(null);
            }
        });
        return this;
    }

    private void flush() {
        while (!queue.isEmpty() && credit > 0 && failure == null) {
            PendingWrite head = queue.poll();
            int n = (int) Math.min(Math.min(credit, maxChunk), head.data.length());
            credit -= n;
            Future<Void> sent = sink.sendData(n == head.data.length() ? head.data : head.data.getBuffer(0, n));
            if (n == head.data.length()) {
                sent.onComplete(head.written);
            } else {
                queue.addFirst(new PendingWrite(head.data.getBuffer(n, head.data.length()), head.written));
            }
            synchronized (this) {
                waitingBytes -= n;
            }
        }
        boolean drained;
        synchronized (this) {
            drained = wasFull && waitingBytes <= maxQueued / 2 && failure == null;
            if (drained) {
                wasFull = false;
            }
        }
        if (drained) {
            Handler<Void> h = drainHandler;
            if (h != null) {
                h.handle(null);
            }
        }
        if (queue.isEmpty() && endPromise != null && !endSent && failure == null) {
            endSent = true;
            sink.sendEnd().onComplete(endPromise);
        }
    }

    private void onContext(Runnable action) {
        if (Vertx.currentContext() == context) {
            action.run();
        } else {
            context.runOnContext(v -> action.run());
        }
    }

    /** State for diagnostics: credit, bytes waiting for it, writes queued, ended. */
    @Override
    public synchronized String toString() {
        return name + " [credit " + credit + ", waiting " + waitingBytes + " bytes in " + queue.size()
                + " writes, max " + maxQueued + (endPromise != null ? ", ending" : "") + (endSent ? ", EOF sent" : "")
                + (failure != null ? ", failed: " + failure.getMessage() : "") + "]";
    }
}
