package dev.paddock.cli.sandbox;

import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Small helpers over the API's Sandbox object (openapi.yaml, components.schemas.Sandbox). */
final class Sandboxes {
    private Sandboxes() {
    }

    /** The API path of a sandbox by id or name; URL-encoded, since names come from the user. */
    static String path(String ref) {
        return "/v1/sandboxes/" + URLEncoder.encode(ref, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** "name (id)", or the id alone when the name is the id. */
    static String label(JsonObject sandbox) {
        String id = sandbox.getString("id");
        String name = sandbox.getString("name");
        return name == null || name.equals(id) ? id : name + " (" + id + ")";
    }
}
