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

    /** The same spec with {@code port} in place of any request for the same guest port, at the end. */
    public SandboxSpec withPort(PortRequest port) {
        List<PortRequest> next = new java.util.ArrayList<>(withoutPort(port.guestPort()).ports());
        next.add(port);
        return withPorts(next);
    }

    /** The same spec without any request for {@code guestPort}. */
    public SandboxSpec withoutPort(int guestPort) {
        return withPorts(ports.stream().filter(p -> p.guestPort() != guestPort).toList());
    }

    private SandboxSpec withPorts(List<PortRequest> newPorts) {
        return new SandboxSpec(name, image, template, cpus, memoryMib, diskGib, workspaces, env, secrets, newPorts,
                labels);
    }
}
