package dev.paddock.vsock.splice;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;

/**
 * A host socket (unix or TCP) accepted by a Vert.x {@code NetServer}, as a {@link DuplexStream} that half-closes:
 * end-of-file from the client ends the read half but leaves the socket open for writing, and {@link #end()} shuts
 * down only our write side ({@code shutdown(SHUT_WR)}). The socket closes once both halves are done.
 *
 * <p>Vert.x's {@code NetSocket} closes on end-of-file; this class turns on Netty's {@code ALLOW_HALF_CLOSURE} on
 * the channel and passes the end-of-input event through the socket's inbound queue as an empty buffer (Netty
 * never delivers an empty read), so it reaches the reader after every byte before it, paused or not. Unix
 * sockets need Netty's native epoll transport for this ({@link #supportsHalfClose}).
 *
 * <p>Create it in the server's connect handler, before the event loop reads from the socket again. It starts
 * paused: set a handler and resume it (as {@code pipe()} does).
 */
public final class HostSocket implements DuplexStream {
    private static final String MARKER_HANDLER = "paddock-input-shutdown";

    private final NetSocketInternal socket;
    private final Channel channel;
    private final String description;
    private final Promise<Void> closed = Promise.promise();

    private Handler<Buffer> handler;
    private Handler<Void> endHandler;
    private Handler<Throwable> exceptionHandler;
    private Future<Void> lastWrite = Future.succeededFuture();
    private boolean inputEnded;
    private boolean outputEnded;
    private boolean aborted;

    private HostSocket(NetSocketInternal socket, String description) {
        this.socket = socket;
        this.channel = socket.channelHandlerContext().channel();
        this.description = description;
    }

    /**
     * True when Vert.x's transport half-closes this kind of socket: TCP always, unix sockets only with the native
     * epoll transport (Netty 4.2's NIO domain-socket channel ignores {@code ALLOW_HALF_CLOSURE}).
     */
    public static boolean supportsHalfClose(io.vertx.core.Vertx vertx, boolean unixSocket) {
        return !unixSocket || vertx.isNativeTransportEnabled();
    }

    /** What to tell an operator when {@link #supportsHalfClose} is false. */
    public static String halfCloseUnsupported(String what) {
        return what + " needs half-closed unix sockets (docker's attach and exec close their write side and keep"
                + " reading), which Netty's NIO transport cannot do; create Vert.x with"
                + " VertxOptions.setPreferNativeTransport(true) and netty-transport-native-epoll on the class path";
    }

    /** Wraps an accepted socket; call it in the connect handler. */
    public static HostSocket wrap(NetSocket accepted, String description) {
        HostSocket host = new HostSocket((NetSocketInternal) accepted, description);
        host.start();
        return host;
    }

    private void start() {
        if (!(channel instanceof DuplexChannel)) {
            throw new IllegalStateException(description + " is a " + channel.getClass().getName()
                    + ", which cannot half-close");
        }
        channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        channel.pipeline().addFirst(MARKER_HANDLER, new ChannelDuplexHandler() {
            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
                if (event instanceof ChannelInputShutdownEvent) {
                    // A read cycle, as Netty delivers data: Vert.x holds back flushes of writes made during a
                    // read until the cycle completes, so the read must complete or later writes would stall.
                    ctx.fireChannelRead(Unpooled.EMPTY_BUFFER);
                    ctx.fireChannelReadComplete();
                } else {
                    super.userEventTriggered(ctx, event);
                }
            }
        });
        // Paused until the user resumes it (pipe() resumes once its destination is set): bytes that came before
        // the user's handler would otherwise be dropped.
        socket.pause();
        socket.handler(this::onBytes);
        socket.exceptionHandler(this::onFailure);
        socket.closeHandler(v -> {
            if (inputEnded && outputEnded) {
                closed.tryComplete();
            } else if (!aborted) {
                onFailure(new IllegalStateException(description + " closed before both sides ended"));
            } else {
                closed.tryFail(new IllegalStateException(description + " was aborted"));
            }
        });
    }

    private void onBytes(Buffer bytes) {
        if (bytes.length() > 0) {
            Handler<Buffer> h = handler;
            if (h != null) {
                h.handle(bytes);
            }
            return;
        }
        inputEnded = true; // the empty marker: the client shut down its write side
        Handler<Void> end = endHandler;
        if (end != null) {
            end.handle(null);
        }
        closeIfDone();
    }

    private void onFailure(Throwable cause) {
        closed.tryFail(cause);
        Handler<Throwable> h = exceptionHandler;
        if (h != null) {
            h.handle(cause);
        }
    }

    private void closeIfDone() {
        if (inputEnded && outputEnded) {
            socket.close();
        }
    }

    @Override
    public HostSocket handler(Handler<Buffer> handler) {
        this.handler = handler;
        return this;
    }

    @Override
    public HostSocket endHandler(Handler<Void> endHandler) {
        this.endHandler = endHandler;
        return this;
    }

    @Override
    public HostSocket exceptionHandler(Handler<Throwable> handler) {
        this.exceptionHandler = handler;
        return this;
    }

    @Override
    public HostSocket pause() {
        socket.pause();
        return this;
    }

    @Override
    public HostSocket resume() {
        socket.resume();
        return this;
    }

    @Override
    public HostSocket fetch(long amount) {
        socket.fetch(amount);
        return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
        Future<Void> written = socket.write(data);
        lastWrite = written;
        return written;
    }

    /** Writes then half-closes: the client reads these bytes, then end-of-file. */
    public Future<Void> writeAndEnd(Buffer data) {
        write(data);
        return end();
    }

    @Override
    public Future<Void> end() {
        if (outputEnded) {
            return Future.succeededFuture();
        }
        outputEnded = true;
        Promise<Void> shut = Promise.promise();
        // Vert.x completes writes in order: once the last one is on the socket, SHUT_WR comes after every byte.
        lastWrite.eventually(() -> {
            if (!channel.isActive()) {
                return Future.succeededFuture();
            }
            Promise<Void> done = Promise.promise();
            ((DuplexChannel) channel).shutdownOutput().addListener(f -> {
                if (f.isSuccess()) {
                    done.complete();
                } else {
                    done.fail(f.cause());
                }
            });
            return done.future();
        }).onComplete(ar -> {
            closeIfDone();
            shut.handle(ar);
        });
        return shut.future();
    }

    @Override
    public HostSocket setWriteQueueMaxSize(int maxSize) {
        socket.setWriteQueueMaxSize(maxSize);
        return this;
    }

    @Override
    public boolean writeQueueFull() {
        return socket.writeQueueFull();
    }

    @Override
    public HostSocket drainHandler(Handler<Void> handler) {
        socket.drainHandler(handler);
        return this;
    }

    @Override
    public Future<Void> closed() {
        return closed.future();
    }

    @Override
    public void abort() {
        aborted = true;
        socket.close();
    }

    @Override
    public String describe() {
        return description;
    }

    public NetSocket socket() {
        return socket;
    }
}
