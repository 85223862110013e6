package dev.paddock.daemon.api;

import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Who may use the API on TCP: a request with {@code Authorization: Bearer <token>}, or a browser holding the
 * {@value #COOKIE} cookie that {@code GET /ui/login?token=<token>} sets (docs/web.md). A browser cannot put headers
 * on a WebSocket or an EventSource, so the web page rides on the cookie; the cookie is HttpOnly and SameSite=Strict,
 * and a cookie-borne request whose {@code Origin} is another site is refused (cross-site WebSocket hijacking).
 */
final class TokenAuth {
    static final String COOKIE = "paddock_token";
    static final String LOGIN_PATH = "/ui/login";

    private final byte[] bearer;
    private final byte[] token;

    TokenAuth(String token) {
        this.token = token.getBytes(StandardCharsets.US_ASCII);
        this.bearer = ("Bearer " + token).getBytes(StandardCharsets.US_ASCII);
    }

    boolean authorized(HttpServerRequest req) {
        String h = req.getHeader("Authorization");
        if (h != null) {
            return same(h, bearer);
        }
        Cookie c = req.getCookie(COOKIE);
        return c != null && same(c.getValue(), token) && sameOrigin(req);
    }

    /** The token given to the login page, compared in constant time. */
    boolean matches(String candidate) {
        return candidate != null && same(candidate, token);
    }

    /** The cookie the login page sets: the token itself, for this host, HttpOnly, SameSite=Strict. */
    Cookie cookie() {
        return Cookie.cookie(COOKIE, new String(token, StandardCharsets.US_ASCII)).setPath("/").setHttpOnly(true)
                .setSameSite(CookieSameSite.STRICT);
    }

    /** No Origin (a top-level navigation, curl) or the daemon's own: anything else is another site's page. */
    static boolean sameOrigin(HttpServerRequest req) {
        String origin = req.getHeader("Origin");
        if (origin == null) {
            return true;
        }
        io.vertx.core.net.HostAndPort authority = req.authority();
        if (authority == null) {
            return false;
        }
        java.net.URI o;
        try {
            o = java.net.URI.create(origin);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int port = o.getPort() != -1 ? o.getPort() : "https".equals(o.getScheme()) ? 443 : 80;
        int expected = authority.port() != -1 ? authority.port() : 80;
        return authority.host().equalsIgnoreCase(o.getHost()) && port == expected;
    }

    private static boolean same(String given, byte[] expected) {
        // Constant time, so the comparison does not tell how much of a guess was right.
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.US_ASCII), expected);
    }
}
