package dev.paddock.daemon.api;

import dev.paddock.daemon.sandbox.SandboxRecord;
import dev.paddock.daemon.sandbox.SandboxSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;

/** A sandbox as the API shows it (openapi.yaml, Sandbox). */
public final class SandboxJson {
    private SandboxJson() { }

    public static JsonObject of(SandboxRecord r, Path dir) {
        SandboxSpec s = r.spec();
        JsonArray workspaces = new JsonArray();
        s.workspaces().forEach(w -> workspaces.add(new JsonObject().put("path", w.path()).put("mode", w.mode())));
        JsonArray ports = new JsonArray();
        s.ports().forEach(p -> ports.add(new JsonObject().put("guestPort", p.guestPort()).put("hostPort", p.hostPort())
                .put("hostAddress", p.hostAddress())));
        return new JsonObject()
                .put("id", r.id())
                .put("name", r.name())
                .put("state", r.state().json())
                .put("stateReason", r.stateReason())
                .put("image", s.image())
                .put("template", s.template())
                .put("cpus", s.cpus())
                .put("memoryMib", s.memoryMib())
                .put("diskGib", s.diskGib())
                .put("workspaces", workspaces)
                .put("env", new JsonObject(new java.util.LinkedHashMap<>(s.env())))
                .put("secrets", new JsonArray(s.secrets()))
                .put("ports", ports)
                .put("labels", new JsonObject(new java.util.LinkedHashMap<>(s.labels())))
                .put("driver", r.driver())
                .put("dir", dir.toString())
                .put("createdAt", r.createdAt())
                .put("updatedAt", r.updatedAt())
                .put("lastBootMillis", r.lastBootMillis() >= 0 ? r.lastBootMillis() : null);
    }
}
