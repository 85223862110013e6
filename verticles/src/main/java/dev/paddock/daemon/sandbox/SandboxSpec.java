package dev.paddock.daemon.sandbox;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the user asked for when creating a sandbox; validated by the API before it gets here (ranges in
 * {@link Limits}). Immutable; the egress policy lives with the egress verticle, not here.
 */
public record SandboxSpec(String name, String image, String template, int cpus, int memoryMib, int diskGib,
                          List<Workspace> workspaces, Map<String, String> env, List<String> secrets,
                          List<PortRequest> ports, Map<String, String> labels) {
    public SandboxSpec {
        Objects.requireNonNull(image, "image");
        workspaces = List.copyOf(workspaces);
        env = Map.copyOf(env);
        secrets = List.copyOf(secrets);
        ports = List.copyOf(ports);
        labels = Map.copyOf(labels);
    }

    /** The same spec under another name (the id, when the user gave none). */
    public SandboxSpec withName(String newName) {
        return new SandboxSpec(newName, image, template, cpus, memoryMib, diskGib, workspaces, env, secrets, ports,
                labels);
    }
}
