package dev.paddock.daemon.api;

import dev.paddock.daemon.DaemonException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Small response and query-parameter helpers shared by the routes. */
final class Api {
    private Api() { }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
    }

    static boolean boolParam(RoutingContext ctx, String name, boolean dflt) {
        String v = ctx.queryParams().get(name);
        if (v == null) {
            return dflt;
        }
        if (v.equals("true")) {
            return true;
        }
        if (v.equals("false")) {
            return false;
        }
        throw DaemonException.invalid(name, "query parameter " + name + "=" + v + " is neither true nor false");
    }

    static int intParam(RoutingContext ctx, String name, int dflt, int min, int max) {
        String v = ctx.queryParams().get(name);
        if (v == null) {
            return dflt;
        }
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw DaemonException.invalid(name, "query parameter " + name + "=" + v + " is not an integer");
        }
        if (n < min || n > max) {
            throw DaemonException.outOfRange(name, n, min, max, "");
        }
        return (int) n;
    }
}
