package dev.paddock.daemon.sandbox;

import java.util.Objects;

/** A host directory shared into the sandbox at the same absolute path, read-only or read-write. */
public record Workspace(String path, boolean readOnly) {
    public Workspace {
        Objects.requireNonNull(path, "path");
    }

    public String mode() {
        return readOnly ? "ro" : "rw";
    }
}
