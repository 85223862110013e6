package dev.paddock.daemon.driver;

import io.vertx.core.Future;

/**
 * How sandboxes actually run. The lifecycle verticle owns the state machine; a driver only boots, and reports what
 * the sandbox does. Two drivers fit this shape: {@code loopback} (the real guest agent as a host process on a unix
 * socket, no VM: the fast path for tests, docs/api.md) and the microVM driver (the VMM, the agent over vsock).
 *
 * <p>Calls come from the lifecycle verticle's event loop and must not block it: a driver runs its blocking steps
 * (starting a process, building a VM) as blocking work and answers with futures.
 */
public interface SandboxDriver {
    /** The driver's name as the API shows it ({@code loopback}, {@code microvm}). */
    String name();

    /**
     * Boots a sandbox: from nothing to an agent that answered its HELLO and a health check. Progress and console
     * lines go to {@code listener} as they happen (from any thread). The future fails when the sandbox cannot boot,
     * with a message that says why; the driver has then released everything it started.
     */
    Future<RunningSandbox> boot(BootRequest request, BootListener listener);

    /**
     * Ends whatever a previous daemon left running for this sandbox (after a {@code kill -9} of the daemon, its
     * agent process or VMM lives on). Called for every record when the daemon starts, before anything boots.
     * Succeeds when there was nothing to end.
     */
    Future<Void> reclaim(String sandboxId, java.nio.file.Path directory);
}
