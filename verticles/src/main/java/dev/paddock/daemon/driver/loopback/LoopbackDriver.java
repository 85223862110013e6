package dev.paddock.daemon.driver.loopback;

import dev.paddock.daemon.driver.BootListener;
import dev.paddock.daemon.driver.BootRequest;
import dev.paddock.daemon.driver.RunningSandbox;
import dev.paddock.daemon.driver.SandboxDriver;
import dev.paddock.vsock.agent.AgentClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The fast path: each sandbox is the real guest agent ({@link AgentBinary}) as an ordinary host process listening on
 * {@code <sandbox dir>/agent.sock} (the agent's loopback mode, guest/agent/README.md). Same agent, same protocol,
 * same API; no VM, and therefore no isolation at all: execs run on the host as the daemon's user. For tests and
 * load tests only.
 *
 * <p>The agent's working directory is {@code <sandbox dir>/work}, the loopback stand-in for the sandbox's disk: it
 * survives stop, daemon restarts and {@code kill -9}, and goes with {@code delete}.
 */
public final class LoopbackDriver implements SandboxDriver {
    public static final String NAME = "loopback";
    /** {@code sun_path} is 108 bytes with the terminating NUL (unix(7)). */
    static final int MAX_SOCKET_PATH_BYTES = 107;
    private static final long CONNECT_RETRY_MS = 20;
    static final String PID_FILE = "agent.pid";

    private final Vertx vertx;
    private final Path agentBinary;

    public LoopbackDriver(Vertx vertx, Path agentBinary) {
        this.vertx = vertx;
        this.agentBinary = agentBinary;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Future<RunningSandbox> boot(BootRequest request, BootListener listener) {
        long deadline = System.nanoTime() + request.timeout().toNanos();
        Path socket = request.directory().resolve("agent.sock");
        return vertx.executeBlocking(() -> startProcess(request, socket, listener), false)
                .compose(process -> {
                    listener.progress("agent-started", "pid " + process.pid() + ", " + agentBinary);
                    LoopbackSandbox sandbox = new LoopbackSandbox(vertx, request.sandboxId(), process, socket);
                    return connect(socket, process, deadline, request)
                            .compose(client -> {
                                listener.progress("agent-connected", client.agent().software());
                                return client.health().compose(h -> {
                                    listener.progress("agent-healthy", "uptime " + h.uptime().toMillis() + " ms");
                                    sandbox.attach(client);
                                    return sandbox.ports().publishAtBoot(request.spec().ports(), listener);
                                }).map(v -> (RunningSandbox) sandbox);
                            })
                            .recover(failure -> sandbox.kill().transform(ignored -> Future.failedFuture(failure)));
                });
    }

    private Process startProcess(BootRequest request, Path socket, BootListener listener) throws IOException {
        int socketBytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (socketBytes > MAX_SOCKET_PATH_BYTES) {
            throw new IOException("the agent socket path " + socket + " has " + socketBytes + " bytes; unix sockets"
                    + " allow at most " + MAX_SOCKET_PATH_BYTES + " (sun_path): use a shorter PADDOCK_STATE");
        }
        Path work = request.directory().resolve("work");
        Files.createDirectories(work);
        // A socket left by a killed agent or daemon would make bind(2) fail with EADDRINUSE.
        Files.deleteIfExists(socket);
        Process process = new ProcessBuilder(List.of(agentBinary.toString(), "--listen", "unix:" + socket, "--verbose"))
                .directory(work.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        ConsoleReader.start(request.sandboxId(), process.getInputStream(), listener);
        // For reclaim(): a daemon killed with -9 leaves this process running.
        Files.writeString(request.directory().resolve(PID_FILE), Long.toString(process.pid()) + "\n");
        return process;
    }

    @Override
    public Future<Void> reclaim(String sandboxId, Path directory) {
        return vertx.executeBlocking(() -> {
            Path pidFile = directory.resolve(PID_FILE);
            if (!Files.exists(pidFile)) {
                return null;
            }
            long pid;
            try {
                pid = Long.parseLong(Files.readString(pidFile).trim());
            } catch (NumberFormatException e) {
                throw new IOException(pidFile + " does not hold a pid; remove it", e);
            }
            // Only a process that still runs our agent binary is ours: the pid may have been reused since.
            ProcessHandle.of(pid)
                    .filter(p -> p.info().command().map(c -> Path.of(c).equals(agentBinary)).orElse(false))
                    .ifPresent(p -> {
                        List<ProcessHandle> children = p.descendants().toList();
                        p.destroyForcibly();
                        children.forEach(ProcessHandle::destroyForcibly);
                        p.onExit().join();
                    });
            Files.delete(pidFile);
            Files.deleteIfExists(directory.resolve("agent.sock"));
            return null;
        }, false);
    }

    /**
     * The socket file appears at bind(2), before listen(2), so a first connect may be refused: retry until the
     * agent answers, it dies, or the boot timeout passes.
     */
    private Future<AgentClient> connect(Path socket, Process process, long deadline, BootRequest request) {
        Promise<AgentClient> result = Promise.promise();
        attempt(SocketAddress.domainSocketAddress(socket.toString()), process, deadline, request, result);
        return result.future();
    }

    private void attempt(SocketAddress address, Process process, long deadline, BootRequest request,
                         Promise<AgentClient> result) {
        AgentClient.connect(vertx, address).onComplete(ar -> {
            if (ar.succeeded()) {
                result.complete(ar.result());
            } else if (!process.isAlive()) {
                result.fail(new IOException("the agent (" + agentBinary + ") of sandbox " + request.sandboxId()
                        + " exited with status " + process.exitValue() + " before accepting a connection; its output"
                        + " is in " + request.directory().resolve("console.log")));
            } else if (System.nanoTime() > deadline) {
                result.fail(new IOException("the agent of sandbox " + request.sandboxId() + " did not answer on "
                        + address.path() + " within " + request.timeout().toMillis() + " ms: "
                        + ar.cause().getMessage()));
            } else {
                vertx.setTimer(CONNECT_RETRY_MS, t -> attempt(address, process, deadline, request, result));
            }
        });
    }
}
