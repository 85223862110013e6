package dev.paddock.cli.api;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A whole (non-streamed) answer of the daemon. */
public record ApiResponse(int status, String contentType, Buffer body) {

    public boolean ok() {
        return status >= 200 && status < 300;
    }

    /** This response, or an {@link ApiException} carrying the daemon's error message when the status is not 2xx. */
    public ApiResponse requireOk() {
        if (!ok()) {
            throw new ApiException(status, errorMessage(status, body));
        }
        return this;
    }

    public JsonObject jsonObject() {
        try {
            return body.length() == 0 ? new JsonObject() : body.toJsonObject();
        } catch (DecodeException | ClassCastException e) {
            throw new ApiException(status, "the daemon answered " + status + " with a body that is not a JSON object: "
                    + abbreviate(body.toString()));
        }
    }

    public JsonArray jsonArray() {
        try {
            return body.length() == 0 ? new JsonArray() : body.toJsonArray();
        } catch (DecodeException | ClassCastException e) {
            throw new ApiException(status, "the daemon answered " + status + " with a body that is not a JSON array: "
                    + abbreviate(body.toString()));
        }
    }

    /**
     * The daemon's words for a failure: the {@code message} of its JSON error body (docs/api.md), else the body as
     * text, else the bare status.
     */
    static String errorMessage(int status, Buffer body) {
        String text = body == null ? "" : body.toString().trim();
        if (text.startsWith("{")) {
            try {
                JsonObject o = new JsonObject(text);
                Object err = o.getValue("error");
                String message = o.getString("message");
                if (message == null && err instanceof JsonObject e) {
                    message = e.getString("message");
                }
                if (message == null && err instanceof String s) {
                    message = s;
                }
                if (message != null && !message.isBlank()) {
                    return message;
                }
            } catch (DecodeException | ClassCastException e) {
                // Not the daemon's error shape: fall through and show the text as it came.
            }
        }
        return text.isEmpty() ? "the daemon answered HTTP " + status + " with no message" : abbreviate(text);
    }

    private static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "…";
    }
}
