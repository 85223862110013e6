package dev.paddock.vsock.agent.impl;

import dev.paddock.vsock.agent.AgentErrorCode;
import dev.paddock.vsock.agent.AgentProtocolException;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayDeque;
import java.util.function.IntConsumer;

/**
 * One direction of data from the agent (an exec's stdout or stderr, or a stream's inbound half) as a
 * {@link ReadStream}, with the receiving side of credit-based flow control.
 *
 * <p>Credit is granted back to the agent only for bytes the consumer has taken: a buffer counts as consumed once
 * it has been handed to the {@link #handler}. A paused stream therefore grants nothing, and the agent stops after
 * the window it was given, so at most one window per channel is ever queued here. Grants are batched: once half
 * a window has been consumed it is returned in one credit frame.
 *
 * <p>All state is confined to the connection's context; methods called from elsewhere hop onto it.
 */
final class InboundChannel implements ReadStream<Buffer> {
    private final Context context;
    private final String name;
    private final int window;
    private final IntConsumer grantCredit;

    private final ArrayDeque<Buffer> pending = new ArrayDeque<>();
    /** Bytes the agent may still send before it needs more credit. */
    private long outstandingCredit;
    private int consumedNotGranted;
    private long demand = Long.MAX_VALUE;
    private boolean endReceived;
    private boolean endDelivered;
    private boolean delivering;
    private Throwable failure;
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;
    private Handler<Throwable> exceptionHandler;

    /**
     * @param window        the credit the agent starts with for this channel (granted implicitly or by the caller)
     * @param grantCredit   sends a credit frame for this channel with the given byte count
     */
    InboundChannel(Context context, String name, int window, IntConsumer grantCredit) {
        this.context = context;
        this.name = name;
        this.window = window;
        this.grantCredit = grantCredit;
        this.outstandingCredit = window;
    }

    // ---- from the connection (always on the context) ----

    /** Data arrived from the agent. Fails with a protocol error when it exceeds the credit we granted. */
    void receive(Buffer data) {
        if (endReceived || failure != null) {
            throw new AgentProtocolException("agent sent " + data.length() + " bytes on " + name
                    + " after its EOF (PROTOCOL.md §5)");
        }
        // GUEST-CONTROLLED: the agent may only send what we granted; more would let it grow our queue without bound.
        if (data.length() > outstandingCredit) {
            throw new AgentProtocolException(AgentErrorCode.FLOW_CONTROL, "agent sent " + data.length() + " bytes on " + name + " but had only "
                    + outstandingCredit + " bytes of credit; it must wait for a credit grant");
        }
        outstandingCredit -= data.length();
        if (data.length() > 0) {
            pending.add(data);
        }
        drain();
    }

    /** True once the agent's EOF arrived: more DATA would break §5. */
    boolean endReceived() {
        return endReceived;
    }

    /** The agent will send no more on this channel. */
    void receiveEnd() {
        endReceived = true;
        drain();
    }

    /** The connection or the stream failed: report it once, and end nothing further. */
    void fail(Throwable cause) {
        if (failure != null || endDelivered) {
            return;
        }
        failure = cause;
        pending.clear();
        Handler<Throwable> h = exceptionHandler;
        if (h != null) {
            h.handle(cause);
        }
    }

    /** True once the agent's end has arrived and every byte before it has been consumed, or the channel failed. */
    boolean isFinished() {
        return (endReceived && pending.isEmpty()) || failure != null;
    }

    // ---- ReadStream (any thread) ----

    @Override
    public InboundChannel exceptionHandler(Handler<Throwable> handler) {
        onContext(() -> this.exceptionHandler = handler);
        return this;
    }

    @Override
    public InboundChannel handler(Handler<Buffer> handler) {
        onContext(() -> {
            this.handler = handler;
            if (handler != null) {
                drain();
            }
        });
        return this;
    }

    @Override
    public InboundChannel pause() {
        onContext(() -> demand = 0);
        return this;
    }

    @Override
    public InboundChannel resume() {
        return fetch(Long.MAX_VALUE);
    }

    @Override
    public InboundChannel fetch(long amount) {
        if (amount < 0) {
            throw new IllegalArgumentException("fetch amount on " + name + " must be >= 0, got " + amount);
        }
        onContext(() -> {
            demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
            drain();
        });
        return this;
    }

    @Override
    public InboundChannel endHandler(Handler<Void> endHandler) {
        onContext(() -> {
            this.endHandler = endHandler;
            drain();
        });
        return this;
    }

    private void drain() {
        if (delivering) {
            return; // a handler called fetch/resume re-entrantly; the outer loop continues
        }
        delivering = true;
        try {
            while (handler != null && demand > 0 && !pending.isEmpty() && failure == null) {
                Buffer next = pending.poll();
                if (demand != Long.MAX_VALUE) {
                    demand--;
                }
                consumedNotGranted += next.length();
                handler.handle(next);
            }
            if (consumedNotGranted >= Math.max(1, window / 2) && failure == null && !endReceived) {
                int grant = consumedNotGranted;
                consumedNotGranted = 0;
                outstandingCredit += grant;
                grantCredit.accept(grant);
            }
            if (endReceived && pending.isEmpty() && !endDelivered && failure == null) {
                Handler<Void> end = endHandler;
                if (end != null) {
                    endDelivered = true;
                    end.handle(null);
                }
            }
        } finally {
            delivering = false;
        }
    }

    private void onContext(Runnable action) {
        if (io.vertx.core.Vertx.currentContext() == context) {
            action.run();
        } else {
            context.runOnContext(v -> action.run());
        }
    }

    /** State for diagnostics: credit the agent still has, bytes queued, demand, end. */
    @Override
    public String toString() {
        return name + " [agent credit " + outstandingCredit + ", " + pending.size() + " buffers queued, demand "
                + (demand == Long.MAX_VALUE ? "flowing" : demand) + (endReceived ? ", EOF received" : "")
                + (failure != null ? ", failed: " + failure.getMessage() : "") + "]";
    }
}
