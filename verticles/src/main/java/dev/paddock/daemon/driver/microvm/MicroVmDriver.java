package dev.paddock.daemon.driver.microvm;

import dev.paddock.daemon.driver.BootListener;
import dev.paddock.daemon.driver.BootRequest;
import dev.paddock.daemon.driver.RunningSandbox;
import dev.paddock.daemon.driver.SandboxDriver;
import dev.paddock.daemon.sandbox.SandboxSpec;
import dev.paddock.runtime.virtio.block.BlockDeviceConfig;
import dev.paddock.runtime.virtio.vsock.VsockDeviceConfig;
import dev.paddock.runtime.vmm.GuestRamPool;
import dev.paddock.runtime.vmm.MicroVm;
import dev.paddock.runtime.vmm.VmBuilder;
import dev.paddock.runtime.vmm.VmState;
import dev.paddock.vsock.agent.AgentClient;
import dev.paddock.vsock.agent.AgentClientOptions;
import dev.paddock.vsock.mux.VsockMuxer;
import dev.paddock.vsock.docker.DockerSocketProxy;
import dev.paddock.vsock.publish.PortPublisher;
import dev.paddock.vsock.uds.ConnectSocket;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Sandboxes as microVMs on Paddock's own VMM (docs/sandbox-driver.md). Per boot:
 * <ol>
 *   <li>the image ({@link SandboxImage}) is read and the sandbox's state disk made if it has none
 *       ({@link StateDisk}, kept across restarts);</li>
 *   <li>the VM is built and started as blocking work: the image's kernel and initramfs, its command line plus
 *       {@code paddock.hostname=}, the shared root image read-only as {@code /dev/vda}, the state disk as
 *       {@code /dev/vdb}, virtio-rng, virtio-vsock with a guest CID of its own and a {@link VsockMuxer} as the
 *       host side, the serial console into the sandbox's console lines, and the i8042 (the guest's
 *       {@code reboot=k} reset ends the VM); guest RAM comes from the process's {@link GuestRamPool}, already
 *       faulted in when a sandbox of the same size booted before;</li>
 *   <li>the agent is dialled on vsock port 1024 until it answers its HELLO and a health check, within the boot
 *       timeout; a VM that ends, or a timeout, fails the boot with the console's last lines;</li>
 *   <li>the host sockets open in the sandbox directory: {@code vsock.sock} (Firecracker's {@code CONNECT
 *       <port>} convention, {@link ConnectSocket}) and {@code docker.sock} (the guest's private dockerd,
 *       {@link DockerSocketProxy}); the ports the sandbox's spec asks for are published on host loopback ports
 *       ({@link dev.paddock.daemon.driver.SandboxPorts}, over vsock-proxy's {@link PortPublisher}).</li>
 * </ol>
 * Stop is the lifecycle's orderly path (the agent's SHUTDOWN, after which the guest powers off and the VM ends);
 * kill tears the VM down. The VMM runs in the daemon's JVM, so a daemon killed with -9 takes its VMs with it:
 * {@link #reclaim} only removes the socket files they left.
 */
public final class MicroVmDriver implements SandboxDriver {
    public static final String NAME = "microvm";
    public static final String VSOCK_SOCKET = "vsock.sock";
    public static final String DOCKER_SOCKET = "docker.sock";
    /** {@code sun_path} is 108 bytes with the terminating NUL (unix(7)). */
    static final int MAX_SOCKET_PATH_BYTES = 107;
    static final long CONNECT_RETRY_MS = 250;
    /** Linux hostnames are at most 64 bytes (HOST_NAME_MAX); the agent's buffer holds 64. */
    private static final int MAX_HOSTNAME = 63;

    private final Vertx vertx;
    private final Path imageDirectory;
    private final GuestCids cids = new GuestCids();
    /** The sandboxes whose VM runs, by sandbox id: for host-side inspection ({@link #running}). */
    private final java.util.Map<String, MicroVmSandbox> live = new java.util.concurrent.ConcurrentHashMap<>();

    /** @param imageDirectory a built sandbox image ({@link SandboxImage}), read again at every boot */
    public MicroVmDriver(Vertx vertx, Path imageDirectory) {
        this.vertx = vertx;
        this.imageDirectory = imageDirectory;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The files a sandbox's host sockets live at (removed again when it ends). */
    public static List<String> socketFiles() {
        return List.of(VSOCK_SOCKET, DOCKER_SOCKET);
    }

    /** The sandbox {@code id}'s running microVM, if it runs on this driver. */
    /** The sandboxes whose VM runs now (diagnostics, tests). */
    java.util.List<MicroVmSandbox> runningSandboxes() {
        return java.util.List.copyOf(live.values());
    }

    java.util.Optional<MicroVmSandbox> running(String id) {
        return java.util.Optional.ofNullable(live.get(id));
    }

    @Override
    public Future<RunningSandbox> boot(BootRequest request, BootListener listener) {
        long deadline = System.nanoTime() + request.timeout().toNanos();
        String id = request.sandboxId();
        long cid = cids.take();
        SerialConsole console = new SerialConsole(listener);
        VsockMuxer muxer = new VsockMuxer(vertx, id);
        java.util.concurrent.atomic.AtomicReference<GuestRamPool> pool = new java.util.concurrent.atomic.AtomicReference<>();
        Future<MicroVmSandbox> started = vertx.executeBlocking(() -> {
            GuestRamPool ramPool = GuestRamPool.shared(); // null when the pool is off; reads /proc once: not on the loop
            pool.set(ramPool);
            SandboxImage image = SandboxImage.load(imageDirectory);
            StateDisk.Created disk = StateDisk.ensure(request.directory(), request.spec().diskGib());
            listener.progress("state-disk", (disk.fresh() ? "created " : "kept ") + disk.path()
                    + " (" + Files.size(disk.path()) / (1L << 30) + " GiB, sparse)");
            for (String name : socketFiles()) {
                Path socket = request.directory().resolve(name);
                checkSocketPath(socket);
                // Left by a daemon killed with -9: bind(2) would fail with EADDRINUSE.
                Files.deleteIfExists(socket);
            }
            MicroVm vm = build(request, image, disk.path(), cid, console, muxer, ramPool);
            muxer.attach(vm.vsock());
            MicroVmSandbox sandbox = new MicroVmSandbox(vertx, id, vm, cid, console, muxer, () -> cids.release(cid));
            live.put(id, sandbox);
            sandbox.exit().onComplete(ignored -> live.remove(id, sandbox));
            vm.start();
            listener.progress("vm-started", vm + ", guest CID " + cid + ", kernel " + image.kernel().getFileName()
                    + (vm.guestRamWasReady() ? ", guest RAM ready" : ""));
            return sandbox;
        }, false);
        started.onFailure(e -> cids.release(cid));
        return started.compose(sandbox -> connect(muxer, sandbox, console, request, deadline)
                .compose(client -> {
                    sandbox.attach(client);
                    listener.progress("agent-connected", client.agent().software());
                    return client.health();
                })
                .compose(health -> {
                    listener.progress("agent-healthy", "uptime " + health.uptime().toMillis() + " ms");
                    GuestRamPool ramPool = pool.get();
                    if (ramPool != null) {
                        ramPool.vmBooted(); // the next sandbox's RAM is faulted in now, not during this boot
                    }
                    return GuestWorkspaces.mount(sandbox.agent(), request.spec().workspaces());
                })
                .compose(v -> GuestWorkspaces.watch(vertx, sandbox.agent(), sandbox.vm().fsDevices()))
                .compose(watched -> {
                    if (!request.spec().workspaces().isEmpty()) {
                        listener.progress("workspaces", request.spec().workspaces().size() + " mounted (virtio-fs), "
                                + watched + " watched for host changes");
                    }
                    return openSockets(request, sandbox, muxer);
                })
                .compose(v -> sandbox.ports().publishAtBoot(request.spec().ports(), listener))
                .map(v -> (RunningSandbox) sandbox)
                .recover(failure -> sandbox.kill().transform(ignored -> Future.failedFuture(failure))));
    }

    private MicroVm build(BootRequest request, SandboxImage image, Path stateDisk, long cid, SerialConsole console,
                          VsockMuxer muxer, GuestRamPool ramPool) {
        SandboxSpec spec = request.spec();
        VmBuilder builder = VmBuilder.create()
                .name(request.sandboxId().replaceAll("[^A-Za-z0-9_-]", "-"))
                .memoryMiB(spec.memoryMib())
                .vcpus(spec.cpus())
                .kernel(image.kernel())
                .initrd(image.initramfs())
                .cmdline(image.cmdline() + " paddock.hostname=" + hostname(spec.name(), request.sandboxId()))
                .attachSerial(console)
                .attachI8042()
                .attachBlock(new BlockDeviceConfig(image.rootfs(), true, "paddock-root"))
                .attachBlock(new BlockDeviceConfig(stateDisk, false, "paddock-state"))
                .attachRng()
                .attachVsock(VsockDeviceConfig.withCid(cid), muxer);
        GuestWorkspaces.devices(spec.workspaces()).forEach(builder::attachFs);
        if (ramPool != null) {
            builder.guestRam(ramPool);
        }
        return builder.build();
    }

    /** The sandbox's name when it is a valid hostname (RFC 1123 label), its id otherwise. */
    static String hostname(String name, String id) {
        if (name != null && name.length() <= MAX_HOSTNAME && name.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?")) {
            return name;
        }
        return id;
    }

    /**
     * Dials the agent until it answers. Before the guest's vsock driver is up the device is not active, and before
     * the agent listens the guest answers with a RST: both fail at once, so retry every {@value #CONNECT_RETRY_MS}
     * ms until the boot deadline, giving up early when the VM has ended.
     */
    private Future<AgentClient> connect(VsockMuxer muxer, MicroVmSandbox sandbox, SerialConsole console,
                                        BootRequest request, long deadline) {
        Promise<AgentClient> result = Promise.promise();
        attempt(muxer, sandbox, console, request, deadline, result);
        return result.future();
    }

    private void attempt(VsockMuxer muxer, MicroVmSandbox sandbox, SerialConsole console, BootRequest request,
                         long deadline, Promise<AgentClient> result) {
        AgentClientOptions options = new AgentClientOptions().software("paddock-daemon")
                .helloTimeout(Duration.ofSeconds(30));
        muxer.connect(AgentClient.VSOCK_PORT)
                .compose(socket -> AgentClient.connect(vertx, socket, options))
                .onComplete(ar -> {
                    if (ar.succeeded()) {
                        result.complete(ar.result());
                        return;
                    }
                    VmState state = sandbox.vm().state();
                    if (state != VmState.RUNNING) {
                        result.fail(new IOException("the VM of sandbox " + request.sandboxId() + " ended ("
                                + state + ", " + sandbox.vm().stopped().getNow(null) + ") before its agent answered"
                                + " on vsock port " + AgentClient.VSOCK_PORT + "; the console's last lines:\n"
                                + console.tail()));
                    } else if (System.nanoTime() > deadline) {
                        result.fail(new IOException("the agent of sandbox " + request.sandboxId() + " did not answer on"
                                + " vsock port " + AgentClient.VSOCK_PORT + " (guest CID " + sandbox.guestCid()
                                + ") within the boot timeout of " + request.timeout().toSeconds() + " s (last try: "
                                + ar.cause().getMessage() + "); raise --boot-timeout on a slow (emulated) host; the"
                                + " console's last lines:\n" + console.tail()));
                    } else {
                        vertx.setTimer(CONNECT_RETRY_MS, t -> attempt(muxer, sandbox, console, request, deadline,
                                result));
                    }
                });
    }

    private Future<Void> openSockets(BootRequest request, MicroVmSandbox sandbox, VsockMuxer muxer) {
        Path vsockPath = request.directory().resolve(VSOCK_SOCKET);
        Path dockerPath = request.directory().resolve(DOCKER_SOCKET);
        return ConnectSocket.listen(vertx, muxer, vsockPath)
                .compose(socket -> {
                    sandbox.own(vsockPath, socket::close);
                    return DockerSocketProxy.listen(vertx, request.sandboxId(), dockerPath, sandbox::agentFuture);
                })
                .map(proxy -> {
                    sandbox.own(dockerPath, proxy::close);
                    return null;
                });
    }

    private static void checkSocketPath(Path socket) throws IOException {
        int bytes = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SOCKET_PATH_BYTES) {
            throw new IOException("the socket path " + socket + " has " + bytes + " bytes; unix sockets allow at most "
                    + MAX_SOCKET_PATH_BYTES + " (sun_path): use a shorter PADDOCK_STATE");
        }
    }

    /** The VMM lives in the daemon's JVM: a killed daemon left no VM, only its socket files. */
    @Override
    public Future<Void> reclaim(String sandboxId, Path directory) {
        return vertx.executeBlocking(() -> {
            for (String name : socketFiles()) {
                Files.deleteIfExists(directory.resolve(name));
            }
            return null;
        }, false);
    }
}
