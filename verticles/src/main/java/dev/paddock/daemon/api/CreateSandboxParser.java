package dev.paddock.daemon.api;

import dev.paddock.daemon.DaemonException;
import dev.paddock.daemon.ErrorCode;
import dev.paddock.daemon.sandbox.Limits;
import dev.paddock.daemon.sandbox.PortRequest;
import dev.paddock.daemon.sandbox.SandboxSpec;
import dev.paddock.daemon.sandbox.Workspace;
import dev.paddock.netpolicy.policy.PolicyException;
import dev.paddock.netpolicy.policy.PolicyParser;
import dev.paddock.netpolicy.policy.Scope;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /v1/sandboxes} (openapi.yaml, CreateSandbox) to a {@link SandboxSpec}: every field
 * checked for type and range, the first problem reported with its field. Pure: what needs I/O (do the workspace
 * directories exist, are the secrets set) is checked by the caller afterwards.
 */
final class CreateSandboxParser {
    static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");
    private static final Set<String> FIELDS = Set.of("name", "image", "template", "cpus", "memoryMib", "diskGib",
            "workspaces", "env", "secrets", "policy", "ports", "labels", "start");
    private static final Set<String> WORKSPACE_FIELDS = Set.of("path", "mode");

    /** The parsed request; {@code policyJson} null when none was given. */
    record Parsed(SandboxSpec spec, String policyJson, boolean start) {
    }

    private CreateSandboxParser() { }

    static Parsed parse(JsonObject body) {
        JsonBodies.onlyFields(body, FIELDS, "");
        String name = JsonBodies.string(body, "name", "", null);
        if (name != null && !NAME.matcher(name).matches()) {
            throw DaemonException.invalid("name", "name \"" + name + "\" is not a sandbox name; use 1 to 63 of a-z,"
                    + " 0-9, '_', '.', '-', starting with a letter or digit");
        }
        String image = JsonBodies.string(body, "image", "", "default");
        String template = JsonBodies.string(body, "template", "", null);
        int cpus = JsonBodies.integer(body, "cpus", "", Limits.DEFAULT_CPUS, Limits.MIN_CPUS, Limits.MAX_CPUS, "");
        int memory = JsonBodies.integer(body, "memoryMib", "", Limits.DEFAULT_MEMORY_MIB, Limits.MIN_MEMORY_MIB,
                Limits.MAX_MEMORY_MIB, " MiB");
        int disk = JsonBodies.integer(body, "diskGib", "", Limits.DEFAULT_DISK_GIB, Limits.MIN_DISK_GIB,
                Limits.MAX_DISK_GIB, " GiB");
        List<Workspace> workspaces = workspaces(JsonBodies.array(body, "workspaces", Limits.MAX_WORKSPACES));
        var env = JsonBodies.stringMap(body, "env", true);
        List<String> secrets = JsonBodies.strings(body, "secrets", 256);
        List<PortRequest> ports = ports(JsonBodies.array(body, "ports", Limits.MAX_PORTS));
        var labels = JsonBodies.stringMap(body, "labels", false);
        boolean start = JsonBodies.bool(body, "start", true);
        String policy = null;
        Object p = body.getValue("policy");
        if (p != null) {
            if (!(p instanceof JsonObject doc)) {
                throw DaemonException.invalid("policy", "policy must be a policy document (a JSON object), got " + p);
            }
            policy = doc.encode();
            checkPolicy(Scope.SANDBOX, policy);
        }
        return new Parsed(new SandboxSpec(name, image, template, cpus, memory, disk, workspaces, env, secrets, ports,
                labels), policy, start);
    }

    /** Parses a policy document only to report every problem (POLICY_INVALID with details) before sending it. */
    static void checkPolicy(Scope scope, String json) {
        try {
            PolicyParser.parse(scope, json);
        } catch (PolicyException e) {
            throw new DaemonException(ErrorCode.POLICY_INVALID, e.getMessage(), "policy", e.problems());
        }
    }

    private static List<Workspace> workspaces(JsonArray a) {
        List<Workspace> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String where = "workspaces[" + i + "]";
            if (!(a.getValue(i) instanceof JsonObject w)) {
                throw DaemonException.invalid(where, where + " must be an object {\"path\": \"/abs/dir\", \"mode\":"
                        + " \"ro\"|\"rw\"}");
            }
            JsonBodies.onlyFields(w, WORKSPACE_FIELDS, where);
            String path = JsonBodies.string(w, "path", where, null);
            if (path == null || !path.startsWith("/") || !Path.of(path).normalize().toString().equals(path)) {
                throw DaemonException.invalid(where + ".path", where + ".path " + (path == null ? "is missing"
                        : "\"" + path + "\" is not a normalized absolute path") + "; give the host directory as /abs/dir");
            }
            String mode = JsonBodies.string(w, "mode", where, "rw");
            if (!mode.equals("ro") && !mode.equals("rw")) {
                throw DaemonException.invalid(where + ".mode", where + ".mode \"" + mode + "\" is neither ro nor rw");
            }
            out.add(new Workspace(path, mode.equals("ro")));
        }
        return out;
    }

    private static List<PortRequest> ports(JsonArray a) {
        List<PortRequest> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String where = "ports[" + i + "]";
            if (!(a.getValue(i) instanceof JsonObject p)) {
                throw DaemonException.invalid(where, where + " must be an object {\"guestPort\": N}");
            }
            out.add(PortRequestParser.parse(p, where));
        }
        return out;
    }
}
