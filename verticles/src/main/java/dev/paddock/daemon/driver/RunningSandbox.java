package dev.paddock.daemon.driver;

import dev.paddock.vsock.agent.AgentClient;
import io.vertx.core.Future;

/** A sandbox a driver has booted: its agent connection, its end, and a way to end it at once. */
public interface RunningSandbox {
    /**
     * {@code agent} as a future for the host proxies, which may be asked before boot completed: failed, naming the
     * sandbox, while it is still null.
     */
    static io.vertx.core.Future<AgentClient> connectedAgent(AgentClient agent, String sandboxId) {
        return agent != null ? io.vertx.core.Future.succeededFuture(agent)
                : io.vertx.core.Future.failedFuture(new IllegalStateException("the agent of sandbox " + sandboxId
                        + " is not connected yet; the sandbox is still booting"));
    }

    /** The connection to the sandbox's agent, open and healthy when boot completed. */
    AgentClient agent();

    /**
     * Completes once, when the sandbox has ended (whatever ended it) and the driver has released it. Never fails:
     * an ending the driver did not expect is an {@link SandboxExit} with the matching kind.
     */
    Future<SandboxExit> exit();

    /**
     * The sandbox's vsock muxer, when it runs in a VM: the daemon registers the guest's egress and DNS ports on
     * it (dev.paddock.daemon.egress.GuestEgressBridge). Empty for drivers without vsock (loopback).
     */
    default java.util.Optional<dev.paddock.vsock.mux.VsockMuxer> vsock() {
        return java.util.Optional.empty();
    }

    /**
     * The sandbox's published ports (issue 6): the spec's, published during boot, and those added and removed while
     * it runs. The driver closes them all when the sandbox ends, before {@link #exit()} completes.
     */
    SandboxPorts ports();

    /** Ends the sandbox now (SIGKILL to the agent process, or the VM torn down); {@link #exit()} then completes. */
    Future<Void> kill();
}
