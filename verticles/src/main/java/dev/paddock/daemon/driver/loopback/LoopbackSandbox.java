package dev.paddock.daemon.driver.loopback;

import dev.paddock.daemon.driver.RunningSandbox;
import dev.paddock.daemon.driver.SandboxExit;
import dev.paddock.daemon.driver.SandboxPorts;
import dev.paddock.vsock.agent.AgentClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** One running loopback agent process. */
final class LoopbackSandbox implements RunningSandbox {
    /** Process.exitValue() of a process killed by signal n is 128 + n (as the shell reports it). */
    private static final int SIGKILL_STATUS = 128 + 9;

    private final Vertx vertx;
    private final String sandboxId;
    private final Process process;
    private final Path socket;
    private final Promise<SandboxExit> exit = Promise.promise();
    private final SandboxPorts ports;
    private volatile boolean killed;
    private volatile AgentClient agent;

    LoopbackSandbox(Vertx vertx, String sandboxId, Process process, Path socket) {
        this.vertx = vertx;
        this.sandboxId = sandboxId;
        this.process = process;
        this.socket = socket;
        this.ports = new SandboxPorts(vertx, sandboxId, this::agentFuture);
        process.onExit().whenComplete((p, err) -> vertx.executeBlocking(() -> {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(socket.resolveSibling(LoopbackDriver.PID_FILE));
            return null;
        }, false).transform(ignored -> ports.closeAll())
                .onComplete(ignored -> exit.tryComplete(classify(process.exitValue()))));
    }

    void attach(AgentClient client) {
        this.agent = client;
    }

    @Override
    public AgentClient agent() {
        if (agent == null) {
            throw new IllegalStateException("sandbox " + sandboxId + " has no agent connection yet (still booting)");
        }
        return agent;
    }

    /**
     * The agent runs on the host here, so a published port leads to the host's own {@code 127.0.0.1:<guestPort>}
     * through the agent's stream open: the same path as in a VM, with no isolation (like everything loopback).
     */
    @Override
    public SandboxPorts ports() {
        return ports;
    }

    private Future<AgentClient> agentFuture() {
        return RunningSandbox.connectedAgent(agent, sandboxId);
    }

    @Override
    public Future<SandboxExit> exit() {
        return exit.future();
    }

    @Override
    public Future<Void> kill() {
        killed = true;
        // In loopback mode the agent is no PID 1: its execs (each in a session of its own) outlive a SIGKILLed
        // agent unless they are killed too. Collect them before the agent dies and they are reparented.
        return vertx.executeBlocking(() -> {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
            return null;
        }, false).compose(ignored -> exit.future()).mapEmpty();
    }

    private SandboxExit classify(int status) {
        if (status == 0) {
            return new SandboxExit(SandboxExit.Kind.SHUTDOWN, status, "the agent shut down");
        }
        if (killed || status == SIGKILL_STATUS) {
            return new SandboxExit(SandboxExit.Kind.KILLED, status, killed ? "killed by the daemon" : "SIGKILL");
        }
        return new SandboxExit(SandboxExit.Kind.CRASHED, status, status > 128
                ? "the agent died of signal " + (status - 128) : "the agent exited with status " + status);
    }

    @Override
    public String toString() {
        return "loopback sandbox " + sandboxId + " (pid " + process.pid() + ", " + socket + ")";
    }
}
