package dev.paddock.daemon.driver;

import dev.paddock.daemon.sandbox.SandboxSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What a driver needs to boot one sandbox.
 *
 * @param directory the sandbox's directory ({@code $PADDOCK_STATE/sandboxes/<id>}); it exists and survives restarts,
 *                  so disks kept there are intact at the next boot
 * @param timeout   how long the boot may take until the agent answers
 */
public record BootRequest(String sandboxId, Path directory, SandboxSpec spec, Duration timeout) {
    public BootRequest {
        Objects.requireNonNull(sandboxId, "sandboxId");
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(timeout, "timeout");
    }
}
