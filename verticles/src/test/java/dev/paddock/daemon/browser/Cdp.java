package dev.paddock.daemon.browser;

import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A minimal Chrome DevTools Protocol client over one WebSocket (a page target's): {@code call} sends a command and
 * waits for its reply. Enough to navigate, evaluate, type and resize; see the protocol's Page, Runtime, Input and
 * Browser domains.
 */
public final class Cdp implements AutoCloseable {
    private final WebSocket ws;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();

    private Cdp(WebSocket ws) {
        this.ws = ws;
        ws.textMessageHandler(text -> {
            JsonObject m = new JsonObject(text);
            Integer id = m.getInteger("id");
            CompletableFuture<JsonObject> f = id != null ? pending.remove(id) : null;
            if (f != null) {
                if (m.containsKey("error")) {
                    f.completeExceptionally(new IllegalStateException("CDP error: " + m.getJsonObject("error")));
                } else {
                    f.complete(m.getJsonObject("result", new JsonObject()));
                }
            }
        });
    }

    public static Cdp connect(Vertx vertx, String wsUrl) throws Exception {
        WebSocket ws = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(64 * 1024 * 1024)
                .setMaxFrameSize(64 * 1024 * 1024)).connect(new io.vertx.core.http.WebSocketConnectOptions()
                .setAbsoluteURI(wsUrl)).await(30, TimeUnit.SECONDS);
        return new Cdp(ws);
    }

    public JsonObject call(String method, JsonObject params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonObject> f = new CompletableFuture<>();
        pending.put(id, f);
        ws.writeTextMessage(new JsonObject().put("id", id).put("method", method).put("params", params).encode());
        return f.get(30, TimeUnit.SECONDS);
    }

    /** Evaluates a JavaScript expression in the page and returns its value (awaiting a promise). */
    public Object eval(String expression) throws Exception {
        JsonObject r = call("Runtime.evaluate", new JsonObject().put("expression", expression)
                .put("returnByValue", true).put("awaitPromise", true));
        if (r.containsKey("exceptionDetails")) {
            throw new IllegalStateException("page threw on " + expression + ": " + r.getJsonObject("exceptionDetails"));
        }
        return r.getJsonObject("result").getValue("value");
    }

    /** Types text as the keyboard would insert it, into whatever has focus. */
    public void type(String text) throws Exception {
        call("Input.insertText", new JsonObject().put("text", text));
    }

    /** Presses and releases Enter. */
    public void enter() throws Exception {
        JsonObject key = new JsonObject().put("key", "Enter").put("code", "Enter").put("windowsVirtualKeyCode", 13)
                .put("nativeVirtualKeyCode", 13);
        call("Input.dispatchKeyEvent", key.copy().put("type", "keyDown").put("text", "\r"));
        call("Input.dispatchKeyEvent", key.copy().put("type", "keyUp"));
    }

    /** Polls until the condition holds; fails with the description and what {@code state} says then. */
    public static void await(String what, Duration limit, BooleanSupplier condition, java.util.function.Supplier<String> state)
            throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + limit.toSeconds() + " s waiting for " + what + "; now: "
                + state.get());
    }

    @Override
    public void close() {
        ws.close();
    }
}
