package dev.paddock.daemon.api;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.bus.Replies;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Every error response: {@code {"error", "code", "field"?, "details"?}} with the code's status. */
final class ApiErrors {
    private static final System.Logger LOG = System.getLogger(ApiErrors.class.getName());

    private ApiErrors() { }

    static void send(RoutingContext ctx, Throwable failure) {
        DaemonException e = Replies.toDaemonException(failure, ctx.request().path());
        if (e.code() == ErrorCode.INTERNAL) {
            LOG.log(System.Logger.Level.WARNING, ctx.request().method() + " " + ctx.request().path() + ": "
                    + e.getMessage(), failure);
        }
        send(ctx.response(), e);
    }

    static void send(HttpServerResponse response, DaemonException e) {
        if (response.headWritten()) {
            // Too late for a status: the streaming handlers report errors in-band; just end the response.
            if (!response.ended()) {
                response.end();
            }
            return;
        }
        JsonObject body = new JsonObject().put("error", e.getMessage()).put("code", e.code().name());
        if (e.field() != null) {
            body.put("field", e.field());
        }
        if (!e.details().isEmpty()) {
            body.put("details", new JsonArray(e.details()));
        }
        response.setStatusCode(e.code().httpStatus()).putHeader("Content-Type", "application/json")
                .end(body.encode());
    }
}
