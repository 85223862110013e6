package dev.paddock.daemon.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.paddock.daemon.Addresses;
import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.messages.EgressMessages.PolicyQuery;
import dev.paddock.daemon.messages.EgressMessages.PolicyUpdate;
import dev.paddock.daemon.messages.EgressMessages.PolicyView;
import dev.paddock.daemon.messages.EgressMessages.SecretList;
import dev.paddock.daemon.messages.EgressMessages.SecretRef;
import dev.paddock.daemon.sandbox.SandboxRecord;
import dev.paddock.netpolicy.policy.Scope;
import dev.paddock.netpolicy.secret.Secret;
import dev.paddock.netpolicy.secret.SecretInfo;
import dev.paddock.netpolicy.secret.SecretStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/** Egress policy (global and per sandbox) and secrets. */
final class EgressRoutes {
    private static final ObjectMapper JACKSON = new ObjectMapper();

    private final Bus bus;
    private final SandboxRoutes sandboxes;

    EgressRoutes(Bus bus, SandboxRoutes sandboxes) {
        this.bus = bus;
        this.sandboxes = sandboxes;
    }

    void mount(Router router) {
        router.get("/v1/policy").handler(ctx -> policy(ctx, bus.request(Addresses.POLICY_GET, new PolicyQuery(null))));
        router.put("/v1/policy").handler(ctx -> {
            String doc = JsonBodies.object(ctx).encode();
            CreateSandboxParser.checkPolicy(Scope.GLOBAL, doc);
            policy(ctx, bus.request(Addresses.POLICY_SET, new PolicyUpdate(null, doc)));
        });
        router.get("/v1/sandboxes/:sandbox/policy").handler(ctx -> policy(ctx, sandboxes.get(ctx)
                .compose(r -> bus.request(Addresses.POLICY_GET, new PolicyQuery(r.id())))));
        router.put("/v1/sandboxes/:sandbox/policy").handler(ctx -> {
            String doc = JsonBodies.object(ctx).encode();
            CreateSandboxParser.checkPolicy(Scope.SANDBOX, doc);
            Future<SandboxRecord> sb = sandboxes.get(ctx);
            policy(ctx, sb.compose(r -> bus.request(Addresses.POLICY_SET, new PolicyUpdate(r.id(), doc))));
        });

        router.get("/v1/sandboxes/:sandbox/egress").handler(ctx -> {
            int limit = Api.intParam(ctx, "limit", 50, 1, dev.paddock.daemon.egress.EgressVerticle.RECENT);
            sandboxes.get(ctx).compose(r -> bus.<dev.paddock.daemon.messages.EgressMessages.RecentDecisions>request(
                    Addresses.EGRESS_RECENT, new dev.paddock.daemon.messages.EgressMessages.RecentQuery(r.id(), limit)))
                    .onComplete(ar -> {
                        if (ar.failed()) {
                            ApiErrors.send(ctx, ar.cause());
                            return;
                        }
                        JsonArray all = new JsonArray();
                        ar.result().decisions().forEach(a -> all.add(JsonObject.mapFrom(a)));
                        Api.json(ctx, 200, new JsonObject().put("decisions", all));
                    });
        });
        router.get("/v1/secrets").handler(ctx -> bus.<SecretList>request(Addresses.SECRET_LIST, new dev.paddock.daemon.messages.EgressMessages.ListSecrets())
                .onComplete(ar -> {
                    if (ar.failed()) {
                        ApiErrors.send(ctx, ar.cause());
                        return;
                    }
                    JsonArray all = new JsonArray();
                    ar.result().secrets().forEach(s -> all.add(info(s)));
                    Api.json(ctx, 200, new JsonObject().put("secrets", all));
                }));
        router.put("/v1/secrets/:name").handler(this::setSecret);
        router.delete("/v1/secrets/:name").handler(ctx -> bus.request(Addresses.SECRET_DELETE,
                new SecretRef(ctx.pathParam("name"))).onComplete(ar -> {
                    if (ar.failed()) {
                        ApiErrors.send(ctx, ar.cause());
                    } else {
                        ctx.response().setStatusCode(204).end();
                    }
                }));
    }

    private void setSecret(RoutingContext ctx) {
        JsonObject body = JsonBodies.object(ctx);
        if (body.containsKey("name")) {
            throw DaemonException.invalid("name", "the secret's name is in the path (PUT /v1/secrets/{name}), not in"
                    + " the body; remove 'name'");
        }
        Secret secret;
        try {
            ObjectNode node = (ObjectNode) JACKSON.readTree(body.encode());
            node.put("name", ctx.pathParam("name"));
            secret = SecretStore.secretFrom(node, "secret");
        } catch (IllegalArgumentException e) {
            throw DaemonException.invalid(null, e.getMessage());
        } catch (java.io.IOException e) {
            throw DaemonException.invalid(null, "the body could not be read as JSON: " + e.getMessage());
        }
        bus.<SecretInfo>request(Addresses.SECRET_SET, secret).onComplete(ar -> {
            if (ar.failed()) {
                ApiErrors.send(ctx, ar.cause());
            } else {
                Api.json(ctx, 200, info(ar.result()));
            }
        });
    }

    private static JsonObject info(SecretInfo s) {
        JsonObject o = new JsonObject().put("name", s.name()).put("placeholder", s.placeholder())
                .put("hosts", new JsonArray(s.hosts())).put("header", s.header());
        if (s.format() != null) {
            o.put("format", s.format());
        }
        return o;
    }

    private static void policy(RoutingContext ctx, Future<PolicyView> view) {
        view.onComplete(ar -> {
            if (ar.failed()) {
                ApiErrors.send(ctx, ar.cause());
                return;
            }
            PolicyView v = ar.result();
            Api.json(ctx, 200, new JsonObject().put("scope", v.scope()).put("version", v.version())
                    .put("document", new JsonObject(v.documentJson())));
        });
    }
}
