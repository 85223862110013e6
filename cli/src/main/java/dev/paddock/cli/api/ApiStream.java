package dev.paddock.cli.api;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A streamed answer read from the CLI's main thread: {@link #next()} returns the body's chunks in order and null at
 * its end. The event loop only enqueues; the response is paused while more than {@link #HIGH_WATER} chunks wait,
 * so a slow terminal slows the daemon instead of filling this JVM's heap.
 */
public final class ApiStream implements AutoCloseable {
    private static final int HIGH_WATER = 64;
    private static final int LOW_WATER = 16;

    /** A chunk, the end (both fields null) or a failure. */
    private record Item(Buffer data, Throwable failure) {}

    private static final Item END = new Item(null, null);

    private final HttpClientResponse response;
    /** The response's event loop: pause, resume and close are handed to it from the reading thread. */
    private final Context context;
    private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
    private volatile boolean paused;
    private boolean ended;

    /** Made in the response callback, on the event loop, so that no chunk can come before the handler. */
    ApiStream(HttpClientResponse response) {
        this.response = response;
        this.context = Vertx.currentContext();
        response.handler(b -> {
            queue.add(new Item(b, null));
            if (queue.size() > HIGH_WATER && !paused) {
                paused = true;
                response.pause();
            }
        });
        response.exceptionHandler(e -> queue.add(new Item(null, e)));
        response.endHandler(v -> queue.add(END));
    }

    public int status() {
        return response.statusCode();
    }

    public String header(String name) {
        return response.getHeader(name);
    }

    /** The next chunk, waiting for it; null once the body ended. A broken connection is a {@link DaemonUnreachableException}. */
    public Buffer next() throws InterruptedException {
        if (ended) {
            return null;
        }
        Item item = queue.take();
        if (paused && queue.size() < LOW_WATER) {
            paused = false;
            context.runOnContext(v -> response.resume());
        }
        if (item.data() != null) {
            return item.data();
        }
        ended = true;
        if (item.failure() != null) {
            throw new DaemonUnreachableException("the daemon's stream broke off: " + item.failure().getMessage()
                    + "; its log may say why", item.failure());
        }
        return null;
    }

    /** Stops reading: the connection is closed, which tells the daemon the client went away. */
    @Override
    public void close() {
        if (!ended) {
            ended = true;
            context.runOnContext(v -> response.request().connection().close());
        }
    }
}
