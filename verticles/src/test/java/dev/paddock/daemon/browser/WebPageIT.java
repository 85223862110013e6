package dev.paddock.daemon.browser;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.daemon.AgentBuild;
import dev.paddock.daemon.Daemon;
import dev.paddock.daemon.DaemonConfig;
import dev.paddock.daemon.api.ApiClient;
import dev.paddock.daemon.metrics.DaemonMetrics;
import dev.paddock.netpolicy.audit.AuditEvent;
import dev.paddock.netpolicy.audit.EventBusAuditSink;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The daemon's web page end to end in headless Chromium, driven over the DevTools protocol: log in with the TCP
 * token, see a sandbox listed live, open its terminal in xterm.js, type a command and see its output, resize the
 * browser window and see {@code stty size} follow, see an egress decision appear.
 */
class WebPageIT {
    private static final Pattern SIZE = Pattern.compile("(?m)^(\\d+) (\\d+)\\s*$");
    private static Vertx vertx;
    private static Daemon daemon;
    private static Path state;
    private static ApiClient api;

    @BeforeAll
    static void setUp() throws Exception {
        Path agent = AgentBuild.binary();
        state = AgentBuild.shortTempDir("pd-web");
        DaemonMetrics metrics = new DaemonMetrics();
        vertx = Daemon.newVertx(new VertxOptions(), metrics);
        daemon = Daemon.start(vertx, new DaemonConfig(state, "127.0.0.1", 0, agent, Duration.ofSeconds(30)), metrics)
                .await(60, TimeUnit.SECONDS);
        api = new ApiClient(vertx, SocketAddress.domainSocketAddress(state.resolve("daemon.sock").toString()), null);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (daemon != null) {
            daemon.stop().await(60, TimeUnit.SECONDS);
        }
        if (vertx != null) {
            vertx.close().await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void terminalInTheBrowserFollowsTheWindowSize() throws Exception {
        ApiClient.Response created = api.post("/v1/sandboxes?wait=true", new JsonObject().put("name", "web-it"));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String id = created.json().getString("id");
        String base = "http://127.0.0.1:" + daemon.tcpPort();
        try (Chromium chromium = Chromium.launch(1200, 800);
             Cdp page = connectToPage(chromium.port())) {
            page.call("Page.enable", new JsonObject());
            page.call("Page.navigate", new JsonObject().put("url", base + "/ui/login?token=" + daemon.token()));
            Cdp.await("the page to list sandbox " + id, Duration.ofSeconds(30),
                    () -> truthy(page, "window.paddock !== undefined && paddock.sandboxes.has('" + id + "')"),
                    () -> str(page, "location.href + ' ' + document.getElementById('status').textContent"));
            assertThat(str(page, "location.pathname + location.search")).as("the token left the address bar")
                    .isEqualTo("/ui/");
            assertThat(str(page, "paddock.sandboxes.get('" + id + "').state")).isEqualTo("ready");

            page.eval("paddock.openTerminal('" + id + "')");
            Cdp.await("the terminal's WebSocket to open", Duration.ofSeconds(20), () -> truthy(page, "paddock.connected()"),
                    () -> str(page, "document.getElementById('term-title').textContent"));
            page.eval("paddock.term.focus()");
            page.type("echo web-$((6*7))");
            page.enter();
            Cdp.await("the command's output in the terminal", Duration.ofSeconds(20),
                    () -> str(page, "paddock.screen()").contains("web-42"), () -> str(page, "paddock.screen()"));

            String before = size(page);
            String expected = str(page, "paddock.term.rows + ' ' + paddock.term.cols");
            assertThat(before).as("stty size in the sandbox matches xterm.js").isEqualTo(expected);

            // A smaller window: xterm.js refits, the page sends a resize frame, the pty follows.
            int windowId = page.call("Browser.getWindowForTarget", new JsonObject()).getInteger("windowId");
            page.call("Browser.setWindowBounds", new JsonObject().put("windowId", windowId)
                    .put("bounds", new JsonObject().put("width", 800).put("height", 500)));
            Cdp.await("xterm.js to refit to the smaller window", Duration.ofSeconds(20),
                    () -> !str(page, "paddock.term.rows + ' ' + paddock.term.cols").equals(expected),
                    () -> str(page, "paddock.term.rows + ' ' + paddock.term.cols + ' ' + innerWidth + 'x' + innerHeight"));
            page.eval("paddock.term.clear()");
            String after = size(page);
            assertThat(after).isNotEqualTo(before)
                    .isEqualTo(str(page, "paddock.term.rows + ' ' + paddock.term.cols"));

            // An egress decision for this sandbox shows up on the page, live.
            page.eval("document.querySelector('#sandboxes tr[data-id=\"" + id + "\"] button:nth-child(2)').click()");
            vertx.eventBus().publish(EventBusAuditSink.ADDRESS, JsonObject.mapFrom(new AuditEvent(
                    java.time.Instant.now().toString(), id, "http", "blocked.example:80", null, "blocked.example",
                    "deny", "no rule allows it", null, null, 1, 0, 0, null)));
            Cdp.await("the egress decision on the page", Duration.ofSeconds(20),
                    () -> str(page, "document.getElementById('egress').textContent").contains("blocked.example"),
                    () -> str(page, "document.getElementById('egress').textContent"));
        } finally {
            api.delete("/v1/sandboxes/" + id + "?force=true");
        }
    }

    @Test
    void withoutTheCookieOrWithAForeignOriginThePageAndTheApiRefuse() throws Exception {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
        String base = "http://127.0.0.1:" + daemon.tcpPort();
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/ui/")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/ui/login?token=wrong")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/ui/login?token="
                + daemon.token())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(login.statusCode()).isEqualTo(303);
        assertThat(login.headers().firstValue("Location")).hasValue("/ui/");
        String cookie = login.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(cookie.toLowerCase()).contains("httponly", "samesite=strict");
        String pair = cookie.substring(0, cookie.indexOf(';'));
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/ui/")).header("Cookie", pair)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("vendor/xterm.js").doesNotContain("http://", "https://");
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("default-src 'self'");
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/ui/vendor/xterm.js")).header("Cookie", pair)
                .build(), HttpResponse.BodyHandlers.ofString()).body()).contains("Terminal");
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/sandboxes")).header("Cookie", pair)
                .header("Origin", "http://evil.example").build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .as("another site's page holding the cookie").isEqualTo(401);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/sandboxes")).header("Cookie", pair)
                .header("Origin", base).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    /**
     * The WebSocket terminal itself: every byte value passes both ways unchanged (the pty in raw mode), a resize
     * control frame reaches the pty, and the exit arrives as a text frame.
     */
    @Test
    void terminalIsBinarySafeBothWaysAndResizes() throws Exception {
        ApiClient.Response created = api.post("/v1/sandboxes?wait=true", new JsonObject());
        String id = created.json().getString("id");
        try {
            // In raw mode: print four awkward bytes, read 256 bytes (every value) and show them in hex, then the
            // size after the resize frame.
            String script = "stty raw -echo; printf 'A\\000\\377\\200\\033Z'; head -c 256 | od -An -v -tx1 | tr -d ' \\n';"
                    + " echo; read x; stty size";
            io.vertx.core.http.WebSocketConnectOptions o = new io.vertx.core.http.WebSocketConnectOptions()
                    .setHost("127.0.0.1").setPort(daemon.tcpPort()).addHeader("Authorization", "Bearer " + daemon.token())
                    .setURI("/v1/sandboxes/" + id + "/tty?argv=sh&argv=-c&argv="
                            + java.net.URLEncoder.encode(script, java.nio.charset.StandardCharsets.UTF_8) + "&rows=20&cols=70");
            io.vertx.core.buffer.Buffer out = io.vertx.core.buffer.Buffer.buffer();
            java.util.concurrent.CompletableFuture<JsonObject> exit = new java.util.concurrent.CompletableFuture<>();
            // The handlers go on inside the connect future's callback, on the event loop, before it delivers any
            // frame: set after await() on this thread, the script's first bytes could arrive with no handler.
            io.vertx.core.http.WebSocket ws = vertx.createWebSocketClient().connect(o).map(w -> {
                w.binaryMessageHandler(b -> {
                    synchronized (out) {
                        out.appendBuffer(b);
                    }
                });
                w.textMessageHandler(t -> exit.complete(new JsonObject(t)));
                return w;
            }).await(30, TimeUnit.SECONDS);
            Cdp.await("the raw bytes from the pty", Duration.ofSeconds(20), () -> {
                synchronized (out) {
                    return out.toString(java.nio.charset.StandardCharsets.ISO_8859_1).contains("A\0\377\200\033Z");
                }
            }, () -> out.toString());
            byte[] all = new byte[256];
            for (int i = 0; i < 256; i++) {
                all[i] = (byte) i;
            }
            ws.writeBinaryMessage(io.vertx.core.buffer.Buffer.buffer(all)).await(10, TimeUnit.SECONDS);
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < 256; i++) {
                hex.append(String.format("%02x", i));
            }
            Cdp.await("od's hex of the 256 bytes", Duration.ofSeconds(20), () -> {
                synchronized (out) {
                    return out.toString(java.nio.charset.StandardCharsets.ISO_8859_1).contains(hex);
                }
            }, () -> out.toString());
            ws.writeTextMessage(new JsonObject().put("resize", new JsonObject().put("rows", 41).put("cols", 133))
                    .encode()).await(10, TimeUnit.SECONDS);
            Thread.sleep(300); // the resize frame and the next line travel separate paths to the agent
            ws.writeBinaryMessage(io.vertx.core.buffer.Buffer.buffer("go\n")).await(10, TimeUnit.SECONDS);
            assertThat(exit.get(20, TimeUnit.SECONDS)).isEqualTo(new JsonObject().put("type", "exit").put("code", 0));
            assertThat(out.toString(java.nio.charset.StandardCharsets.ISO_8859_1)).contains("41 133");
        } finally {
            api.delete("/v1/sandboxes/" + id + "?force=true");
        }
    }

    private String size(Cdp page) throws Exception {
        page.type("stty size");
        page.enter();
        String[] found = new String[1];
        Cdp.await("stty size's answer", Duration.ofSeconds(20), () -> {
            Matcher m = SIZE.matcher(str(page, "paddock.screen()"));
            String last = null;
            while (m.find()) {
                last = m.group(1) + " " + m.group(2);
            }
            found[0] = last;
            return last != null;
        }, () -> str(page, "paddock.screen()"));
        return found[0];
    }

    /**
     * The DevTools connection to the page. Chromium has closed it during the WebSocket handshake while the new page
     * was still being set up (once, in a loaded CI run): the target list is fetched again and the connection retried
     * a few times before that counts as a failure.
     */
    private static Cdp connectToPage(int port) throws Exception {
        Exception last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return Cdp.connect(vertx, pageTarget(port));
            } catch (Exception e) {
                last = e;
                Thread.sleep(500);
            }
        }
        throw new AssertionError("could not open the DevTools connection to chromium's page in 5 attempts", last);
    }

    private static String pageTarget(int port) throws Exception {
        String list = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/json/list")).build(), HttpResponse.BodyHandlers.ofString()).body();
        for (Object o : new JsonArray(list)) {
            JsonObject t = (JsonObject) o;
            if ("page".equals(t.getString("type"))) {
                return t.getString("webSocketDebuggerUrl");
            }
        }
        throw new AssertionError("chromium has no page target: " + list);
    }

    private static boolean truthy(Cdp page, String js) {
        return Boolean.TRUE.equals(evalQuietly(page, "!!(" + js + ")"));
    }

    private static String str(Cdp page, String js) {
        return String.valueOf(evalQuietly(page, js));
    }

    private static Object evalQuietly(Cdp page, String js) {
        try {
            return page.eval(js);
        } catch (Exception e) {
            return "<" + e + ">";
        }
    }
}
