package dev.paddock.daemon.api;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.function.Supplier;

/**
 * The web page (docs/web.md): {@code /ui/} serves the page and its vendored xterm.js from the jar's
 * {@code webroot/ui}; {@code /ui/login?token=T} trades the TCP token for the page's cookie and redirects to
 * {@code /ui/}, so the token leaves the address bar and the browser history keeps only the login URL's path.
 */
final class WebRoutes {
    private final Vertx vertx;
    private final Supplier<TokenAuth> auth;

    /** @param auth the TCP token check, or a supplier of null where the API listens on the unix socket only */
    WebRoutes(Vertx vertx, Supplier<TokenAuth> auth) {
        this.vertx = vertx;
        this.auth = auth;
    }

    void mount(Router router) {
        router.get("/").handler(ctx -> redirect(ctx, "/ui/"));
        router.get(TokenAuth.LOGIN_PATH).handler(this::login);
        router.get("/ui/*").handler(StaticHandler.create("webroot/ui")
                .setCachingEnabled(false)
                .setDirectoryListing(false)
                .setIndexPage("index.html"));
        // Content-Security-Policy: the page loads nothing from elsewhere and runs no inline script.
        router.route("/ui/*").order(-1).handler(ctx -> {
            ctx.response().putHeader("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline';"
                    + " connect-src 'self' ws: wss:; frame-ancestors 'none'")
                    .putHeader("X-Content-Type-Options", "nosniff")
                    .putHeader("Referrer-Policy", "no-referrer");
            ctx.next();
        });
    }

    private void login(RoutingContext ctx) {
        TokenAuth tcp = auth.get();
        io.vertx.core.net.SocketAddress local = ctx.request().localAddress();
        if (tcp == null || local != null && local.isDomainSocket()) {
            redirect(ctx, "/ui/"); // the unix socket: whoever can connect is the owner
            return;
        }
        if (!tcp.matches(ctx.queryParams().get("token"))) {
            throw new DaemonException(ErrorCode.UNAUTHORIZED, "/ui/login needs ?token=<token> with the token in"
                    + " $PADDOCK_STATE/daemon.token (the daemon prints the whole login URL when it starts)");
        }
        ctx.response().addCookie(tcp.cookie());
        redirect(ctx, "/ui/");
    }

    private static void redirect(RoutingContext ctx, String to) {
        ctx.response().setStatusCode(303).putHeader("Location", to).putHeader("Cache-Control", "no-store").end();
    }
}
