package dev.paddock.daemon.driver.microvm;

import dev.paddock.daemon.driver.RunningSandbox;
import dev.paddock.daemon.driver.SandboxPorts;
import dev.paddock.daemon.driver.SandboxExit;
import dev.paddock.runtime.vmm.MicroVm;
import dev.paddock.runtime.vmm.VmStop;
import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.mux.VsockMuxer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * One sandbox microVM: the VM, its agent connection, and the host sockets that lead into it. When the VM ends,
 * for whatever reason, the sockets are closed and their files removed, the guest CID is freed, and then
 * {@link #exit()} completes with the VM's ending mapped onto {@link SandboxExit.Kind}.
 */
final class MicroVmSandbox implements RunningSandbox {
    private static final System.Logger LOG = System.getLogger(MicroVmSandbox.class.getName());
    private final Vertx vertx;
    private final String sandboxId;
    private final MicroVm vm;
    private final long guestCid;
    private final SerialConsole console;
    private final Promise<SandboxExit> exit = Promise.promise();
    private final List<Supplier<Future<Void>>> closers = new CopyOnWriteArrayList<>();
    private final List<Path> socketFiles = new CopyOnWriteArrayList<>();
    private final SandboxPorts ports;
    private final VsockMuxer muxer;
    private volatile AgentClient agent;

    MicroVmSandbox(Vertx vertx, String sandboxId, MicroVm vm, long guestCid, SerialConsole console, VsockMuxer muxer,
                   Runnable releaseCid) {
        this.muxer = java.util.Objects.requireNonNull(muxer, "muxer");
        this.vertx = vertx;
        this.sandboxId = sandboxId;
        this.vm = vm;
        this.guestCid = guestCid;
        this.console = console;
        this.ports = new SandboxPorts(vertx, sandboxId, this::agentFuture);
        own(null, ports::closeAll);
        // Completes on the VM's last thread once it has released everything (MicroVm's contract).
        vm.stopped().whenComplete((stop, error) -> vertx.runOnContext(v -> {
            releaseCid.run();
            VmStop how = stop != null ? stop
                    : new VmStop(dev.paddock.runtime.vmm.StopReason.INTERNAL_ERROR, String.valueOf(error));
            closeSockets().onComplete(ignored -> exit.tryComplete(classify(how)));
        }));
    }

    /**
     * Occurrences of each needle in the guest's RAM, the VM paused for the scan and resumed after it (blocking:
     * not on an event loop). For host-side forensics: a secret injected by the egress proxy must count zero.
     */
    long[] countInGuestMemory(List<byte[]> needles) {
        vm.pause();
        try {
            return vm.countInMemory(needles);
        } finally {
            vm.resume();
        }
    }

    /**
     * The VM's state for diagnosing a sandbox that stopped answering: vCPUs, virtio queues and interrupts, vsock
     * streams and credit ({@code MicroVm.describe}), and each vCPU's registers and local APIC ({@code sampleVcpus}, which
     * parks the vCPUs for a moment), and the console's last lines. Blocks up to a few seconds: never on an event loop.
     */
    String describe() {
        return "sandbox " + sandboxId + ": " + vm.describe(java.time.Duration.ofSeconds(5)) + "\n"
                + vm.sampleVcpus(java.time.Duration.ofSeconds(5)) + "\nconsole, last lines:\n" + console.tail();
    }

    /** The VM's vsock muxer: the daemon's egress bridge registers the guest's egress and DNS ports on it. */
    @Override
    public java.util.Optional<VsockMuxer> vsock() {
        return java.util.Optional.of(muxer);
    }

    void attach(AgentClient client) {
        this.agent = client;
    }

    /** A host socket of this sandbox to close, and its file (or null) to remove, when the VM ends. */
    void own(Path file, Supplier<Future<Void>> close) {
        if (file != null) {
            socketFiles.add(file);
        }
        closers.add(close);
    }

    /** The sandbox's published ports (issue 6): guest TCP ports on host loopback ports, while the VM runs. */
    @Override
    public SandboxPorts ports() {
        return ports;
    }

    String id() {
        return sandboxId;
    }

    long guestCid() {
        return guestCid;
    }

    MicroVm vm() {
        return vm;
    }

    @Override
    public AgentClient agent() {
        AgentClient a = agent;
        if (a == null) {
            throw new IllegalStateException("sandbox " + sandboxId + " has no agent connection yet (still booting)");
        }
        return a;
    }

    /** The agent connection as a future, for the proxies (they may be asked before boot completed). */
    Future<AgentClient> agentFuture() {
        return RunningSandbox.connectedAgent(agent, sandboxId);
    }

    @Override
    public Future<SandboxExit> exit() {
        return exit.future();
    }

    /** Tears the VM down at once (MicroVm.kill: vCPUs kicked out, in-flight disk I/O interrupted). */
    @Override
    public Future<Void> kill() {
        return vertx.executeBlocking(() -> {
            vm.kill();
            return null;
        }, false).onFailure(e -> LOG.log(System.Logger.Level.ERROR, "killing " + this + " failed", e))
                .compose(ignored -> exit.future()).mapEmpty();
    }

    private Future<Void> closeSockets() {
        List<Future<Void>> closing = closers.stream().map(c -> c.get().recover(e -> Future.succeededFuture()))
                .toList();
        return Future.join(closing).transform(ignored -> vertx.executeBlocking(() -> {
            for (Path p : socketFiles) {
                Files.deleteIfExists(p);
            }
            return null;
        }, false)).mapEmpty();
    }

    private SandboxExit classify(VmStop stop) {
        String detail = stop.toString();
        String last = console.lastLine();
        String withConsole = last != null ? detail + "; last console line: " + last : detail;
        return switch (stop.reason()) {
            case GUEST_POWEROFF -> new SandboxExit(SandboxExit.Kind.SHUTDOWN, -1, "the guest powered off");
            case HOST_STOP, KILLED -> new SandboxExit(SandboxExit.Kind.KILLED, -1, detail);
            case GUEST_RESET, TRIPLE_FAULT -> new SandboxExit(console.panicked() ? SandboxExit.Kind.PANIC
                    : SandboxExit.Kind.CRASHED, -1, withConsole);
            case INTERNAL_ERROR -> new SandboxExit(SandboxExit.Kind.INTERNAL_ERROR, -1, withConsole);
        };
    }

    @Override
    public String toString() {
        return "microVM sandbox " + sandboxId + " (" + vm + ", guest CID " + guestCid + ")";
    }
}
