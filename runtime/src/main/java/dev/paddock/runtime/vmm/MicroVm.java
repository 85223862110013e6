package dev.paddock.runtime.vmm;

import dev.paddock.hypervisor.linux.EventFd;
import dev.paddock.hypervisor.linux.Kvm;
import dev.paddock.hypervisor.linux.KvmVcpu;
import dev.paddock.hypervisor.linux.KvmVm;
import dev.paddock.hypervisor.linux.MmapGuestMemory;
import dev.paddock.hypervisor.linux.TimerFd;
import dev.paddock.hypervisor.memory.GuestScan;
import dev.paddock.hypervisor.x86.LapicState;
import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Segment;
import dev.paddock.runtime.acpi.AcpiPowerControl;
import dev.paddock.runtime.acpi.GuestPowerListener;
import dev.paddock.runtime.acpi.VirtioMmioSlot;
import dev.paddock.runtime.arch.x86.Layout;
import dev.paddock.runtime.bus.Interrupt;
import dev.paddock.runtime.bus.MmioBus;
import dev.paddock.runtime.bus.PioBus;
import dev.paddock.runtime.devices.legacy.ConsoleBuffer;
import dev.paddock.runtime.devices.legacy.ConsoleListener;
import dev.paddock.runtime.devices.legacy.I8042;
import dev.paddock.runtime.devices.legacy.Serial8250;
import dev.paddock.runtime.event.DeviceEventLoop;
import dev.paddock.runtime.virtio.VirtioDevice;
import dev.paddock.runtime.virtio.block.BlockDevice;
import dev.paddock.runtime.virtio.block.BlockDeviceConfig;
import dev.paddock.runtime.virtio.fs.FsDevice;
import dev.paddock.runtime.virtio.fs.FsDeviceConfig;
import dev.paddock.runtime.virtio.mmio.MmioRegisters;
import dev.paddock.runtime.virtio.mmio.MmioTransport;
import dev.paddock.runtime.virtio.vsock.VsockBackend;
import dev.paddock.runtime.virtio.vsock.VsockConnector;
import dev.paddock.runtime.virtio.vsock.VsockDevice;
import dev.paddock.runtime.virtio.vsock.VsockDeviceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running (or runnable) microVM on KVM: guest RAM, the in-kernel irqchip and PIT, N vCPU threads, the PIO and
 * MMIO buses with their devices, and one device event loop. Built by {@link VmBuilder}; then
 * {@link #start()}, {@link #pause()}/{@link #resume()}, and it ends by itself when the guest powers off, resets or
 * faults, or when the host calls {@link #stop()} or {@link #kill()}. When it ends, every thread, fd and mapping it
 * held is released before {@link VmListener#stopped} is called and {@link #stopped()} completes.
 *
 * <p>A guest exit the VMM cannot handle stops this VM with {@link StopReason#INTERNAL_ERROR}; it never throws
 * into other VMs' threads or ends the JVM.
 */
public final class MicroVm implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MicroVm.class.getName());

    private enum RunControl { RUN, PAUSE, STOP }

    private final String name;
    private final VmConfig config;
    private final VmListener listener;
    private final Teardown teardown = new Teardown();
    private final PioBus pio = new PioBus();
    private final MmioBus mmio = new MmioBus();
    private final List<KvmVcpu> vcpus = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<VcpuThread> vcpuThreads = new ArrayList<>();
    private final CompletableFuture<VmStop> stopped = new CompletableFuture<>();

    private Kvm kvm;
    private KvmVm vm;
    private MmapGuestMemory memory;
    private DeviceEventLoop deviceLoop;
    private Serial8250 serial;
    private ConsoleBuffer console;
    private ConsoleListener consoleListener;
    private boolean i8042Attached;
    private final List<VirtioMmioSlot> virtioSlots = new ArrayList<>();
    private final List<MmioTransport> transports = new ArrayList<>();
    private final List<FsDevice> fsDevices = new ArrayList<>();
    private final Map<String, Long> buildPhases = new java.util.LinkedHashMap<>();
    private ThreadPoolExecutor blockWorkers;
    private VsockDevice vsock;

    private final Object lock = new Object();
    /** Read without the lock on every exit; written under it. */
    private volatile RunControl control = RunControl.RUN;
    private VmState state = VmState.CREATED;
    private VmStop stopRequest;
    private int liveThreads;
    private int parkedThreads;
    private boolean released;

    private MicroVm(String name, VmConfig config, VmListener listener) {
        this.name = name;
        this.config = config;
        this.listener = listener;
    }

    /** Builds the VM in the order KVM needs (REFERENCE.md); on failure releases what was acquired and throws. */
    static MicroVm create(String name, VmConfig config, BootSource boot, List<DeviceAttachment> devices,
            VmListener listener, GuestRamPool ramPool) {
        MicroVm m = new MicroVm(name, config, listener);
        try {
            m.assemble(boot, devices, ramPool);
            return m;
        } catch (RuntimeException | Error e) {
            if (m.blockWorkers != null) {
                m.blockWorkers.shutdownNow(); // no request ran yet: the guest never started
            }
            RuntimeException releaseFailure = m.release();
            if (releaseFailure != null) {
                e.addSuppressed(releaseFailure);
            }
            throw e;
        }
    }

    private void assemble(BootSource boot, List<DeviceAttachment> devices, GuestRamPool ramPool) {
        phaseStart = System.nanoTime();
        kvm = teardown.hold("/dev/kvm", Kvm.open());
        vm = teardown.hold("the VM fd", kvm.createVm());
        vm.setTssAddress(Layout.KVM_TSS_ADDRESS);
        phase("vm");
        if (ramPool != null) {
            GuestRamPool.Taken ram = ramPool.take(config.memoryBytes());
            memory = teardown.hold("guest RAM", ram.memory());
            guestRamWasReady = ram.wasReady();
        } else {
            memory = teardown.hold("guest RAM", MmapGuestMemory.allocate(Layout.ramRegions(config.memoryBytes())));
        }
        vm.mapMemory(memory);
        phase("memory");
        vm.createIrqchip();
        vm.createPit2();
        KvmVcpu.prepareKick();
        for (int i = 0; i < config.vcpus(); i++) {
            vcpus.add(teardown.hold("vCPU " + i, vm.createVcpu(i)));
        }
        phase("irqchip+vcpus");
        deviceLoop = DeviceEventLoop.start(threadName("devices"),
                e -> requestStop(new VmStop(StopReason.INTERNAL_ERROR, "device event loop: " + e)));
        attachPowerControl();
        for (DeviceAttachment d : devices) {
            d.attach(this);
        }
        if (blockWorkers != null) {
            // Held last, so released first: in-flight disk I/O ends before the disks and guest RAM go away.
            teardown.hold("the block I/O worker pool", this::shutDownBlockWorkers);
        }
        phase("devices");
        if (boot instanceof RealModeImage image) {
            loadRealMode(image);
            phase("load");
        } else if (boot instanceof KernelConfig kernel) {
            LinuxBoot.load(memory, vcpus, kvm.supportedCpuid(), kernel, virtioSlots, serial != null, i8042Attached,
                    this::phase);
        }
    }

    private boolean guestRamWasReady;

    /** Whether this VM's RAM came already faulted in from a {@link GuestRamPool} (boot benchmarks print it). */
    public boolean guestRamWasReady() {
        return guestRamWasReady;
    }

    /** When the step now running began (assemble's thread only). */
    private long phaseStart;

    /** Records how long the step of {@link #assemble} that just ended took, for {@link #buildPhases()}. */
    private void phase(String step) {
        long now = System.nanoTime();
        buildPhases.put(step, now - phaseStart);
        phaseStart = now;
    }

    /**
     * How long each step of building this VM took, in nanoseconds, in order: the VM fd, guest RAM, the irqchip and
     * vCPUs, the devices, then the ACPI tables, the kernel, the initrd and boot parameters, the vCPUs' boot state
     * (boot benchmarks print them).
     */
    public Map<String, Long> buildPhases() {
        return java.util.Collections.unmodifiableMap(buildPhases);
    }

    private void loadRealMode(RealModeImage image) {
        byte[] code = image.code();
        memory.write(image.loadAddress(), code, 0, code.length);
        KvmVcpu boot = vcpus.get(0);
        boot.setSregs(boot.sregs().withSegments(Segment.realMode(0, true), Segment.realMode(0, false)));
        boot.setRegs(boot.regs().with(Regs.Register.RIP, image.loadAddress())
                .with(Regs.Register.RSP, image.loadAddress())
                .with(Regs.Register.RFLAGS, Regs.RFLAGS_RESERVED));
    }

    // ---- assembly helpers for device attachments ----

    String threadName(String what) {
        return "vm-" + name + "-" + what;
    }

    VmConfig config() {
        return config;
    }

    KvmVm kvmVm() {
        return vm;
    }

    MmapGuestMemory memory() {
        return memory;
    }

    List<KvmVcpu> vcpus() {
        return vcpus;
    }

    DeviceEventLoop deviceLoop() {
        return deviceLoop;
    }

    /** An eventfd this VM closes when it ends. */
    EventFd newEventFd(String what) {
        return teardown.hold(what, EventFd.create(true));
    }

    /** An edge-triggered interrupt on {@code gsi} through a new irqfd. */
    Interrupt newIrqfdInterrupt(String what, int gsi) {
        EventFd fd = newEventFd("irqfd of " + what + " (GSI " + gsi + ")");
        vm.registerIrqfd(fd, gsi);
        return new EventFdInterrupt(fd);
    }

    void attachSerial(ConsoleListener listener) {
        if (serial != null) {
            throw new VmConfigException("a serial console is already attached at COM1");
        }
        Interrupt irq = newIrqfdInterrupt("COM1", Layout.COM1_IRQ);
        EventFd consoleReady = newEventFd("console hand-off");
        consoleListener = listener;
        TimerFd consoleFlush = teardown.hold("console flush timer", TimerFd.create());
        console = new ConsoleBuffer(ConsoleBuffer.DEFAULT_CAPACITY, consoleReady::signal,
                () -> consoleFlush.arm(ConsoleBuffer.FLUSH_DELAY_NANOS));
        deviceLoop.register(consoleReady, count -> deliverConsole());
        deviceLoop.register(consoleFlush, count -> deliverConsole());
        serial = new Serial8250(irq, console);
        pio.insert(Layout.COM1_PORT, Serial8250.PORT_COUNT, "COM1 (8250 UART)", serial);
    }

    void attachI8042() {
        i8042Attached = true;
        Interrupt irq = newIrqfdInterrupt("i8042 keyboard", I8042_KEYBOARD_IRQ);
        I8042 i8042 = new I8042(irq, () -> requestStop(new VmStop(StopReason.GUEST_RESET,
                "the guest pulsed the CPU reset line through the i8042 (command 0xFE, as with reboot=k)")));
        pio.insert(Layout.I8042_DATA_PORT, 1, "i8042 data", i8042.dataPort());
        pio.insert(Layout.I8042_COMMAND_PORT, 1, "i8042 command/status", i8042.commandPort());
    }

    /**
     * The ACPI sleep/reset register the FADT describes (docs/acpi.md): how a Linux guest powers off
     * ({@code poweroff}, {@code poweroff -f}: S5) and resets ({@code reboot} without {@code reboot=k}).
     */
    private void attachPowerControl() {
        pio.insert(AcpiPowerControl.PORT, AcpiPowerControl.PORT_LENGTH, "ACPI power control",
                new AcpiPowerControl(new GuestPowerListener() {
                    @Override
                    public void powerOffRequested() {
                        requestStop(new VmStop(StopReason.GUEST_POWEROFF,
                                "the guest entered ACPI S5 (sleep control register 0x%x)".formatted(AcpiPowerControl.PORT)));
                    }

                    @Override
                    public void resetRequested() {
                        requestStop(new VmStop(StopReason.GUEST_RESET,
                                "the guest wrote the ACPI reset register 0x%x".formatted(AcpiPowerControl.PORT)));
                    }
                }));
    }

    /**
     * A virtio device behind a virtio-mmio transport in the next standard slot: its window on the MMIO bus, an
     * irqfd on the slot's GSI, and one ioeventfd per queue (QueueNotify, 4 bytes, datamatch = queue index) whose
     * wake-ups the device event loop turns into {@link MmioTransport#queueNotified}.
     */
    MmioTransport attachVirtio(String what, VirtioDevice device) {
        VirtioMmioSlot slot = VirtioMmioSlot.standard(virtioSlots.size());
        Interrupt irq = newIrqfdInterrupt(what, slot.gsi());
        MmioTransport transport = new MmioTransport(device, memory, irq, deviceLoop);
        mmio.insert(slot.base(), slot.size(), what + " (virtio-mmio)", transport);
        long notifyAddress = slot.base() + MmioRegisters.QUEUE_NOTIFY;
        for (int q = 0; q < transport.queueCount(); q++) {
            int queue = q;
            EventFd notify = newEventFd("ioeventfd of " + what + " queue " + q);
            vm.registerIoeventfd(notify, KvmVm.IoSpace.MMIO, notifyAddress, 4, OptionalLong.of(q));
            deviceLoop.register(notify, count -> transport.queueNotified(queue));
        }
        virtioSlots.add(slot);
        transports.add(transport);
        return transport;
    }

    void attachBlock(BlockDeviceConfig config) {
        BlockDevice device;
        try {
            device = BlockDevice.open(config, blockWorkers());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the disk image " + config.image() + ": " + e.getMessage(), e);
        }
        teardown.hold("virtio-blk " + config.image(), device);
        attachVirtio("virtio-blk " + config.image().getFileName(), device);
    }

    /**
     * virtio-vsock on the device event loop. Held for teardown, which runs after the loop has stopped: its
     * close tells every open stream's peer that the VM ended.
     */
    void attachVsock(VsockDeviceConfig config, VsockBackend backend) {
        VsockDevice device = new VsockDevice(config, backend, deviceLoop);
        teardown.hold("virtio-vsock (guest CID " + config.guestCid() + ")", device);
        attachVirtio("virtio-vsock", device);
        vsock = device;
    }

    /**
     * Opens streams into the guest over its vsock device.
     *
     * @throws IllegalStateException when the VM was built without {@link VmBuilder#attachVsock}
     */
    public VsockConnector vsock() {
        if (vsock == null) {
            throw new IllegalStateException("VM " + name + " has no vsock device; build it with attachVsock(config, backend)");
        }
        return vsock;
    }

    /** The virtio-fs devices, in the order attached (their servers, request counts and latency). */
    public List<FsDevice> fsDevices() {
        return List.copyOf(fsDevices);
    }

    /** The vsock device itself (metrics, transport reset), if attached. */
    public Optional<VsockDevice> vsockDevice() {
        return Optional.ofNullable(vsock);
    }

    /**
     * A virtio-fs share: its FUSE server and a bounded worker pool of its own (the config's worker count; its
     * queue holds what the guest can have outstanding on both queues). Completions run on the device loop.
     * Teardown stops the pool before the server closes its fds and before guest RAM goes.
     */
    void attachFs(FsDeviceConfig config) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(config.workers(), config.workers(), 10, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(2 * config.queueSize()), r -> {
                    Thread t = new Thread(r, threadName("fs-" + config.tag() + "-" + n.incrementAndGet()));
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        FsDevice device;
        try {
            device = FsDevice.open(config, pool, deviceLoop);
        } catch (IOException e) {
            pool.shutdownNow();
            throw new UncheckedIOException("cannot share " + config.sharedDir() + " as virtio-fs " + config.tag() + ": " + e.getMessage(), e);
        }
        fsDevices.add(device);
        teardown.hold("virtio-fs " + config.tag(), device);
        teardown.hold("the virtio-fs " + config.tag() + " worker pool", () -> {
            pool.shutdownNow();
            if (!pool.awaitTermination(BLOCK_IO_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("virtio-fs " + config.tag() + " workers of VM " + name + " did not end within "
                        + BLOCK_IO_GRACE.toSeconds() + " s of being interrupted");
            }
        });
        attachVirtio("virtio-fs " + config.tag(), device);
    }

    /**
     * The bounded pool disk I/O runs on, shared by this VM's block devices. Each device can have a full queue
     * (BlockDevice.QUEUE_SIZE) of requests outstanding; the queue bound covers every slot's worth.
     */
    private ExecutorService blockWorkers() {
        if (blockWorkers == null) {
            AtomicInteger n = new AtomicInteger();
            int slots = Layout.LAST_DEVICE_GSI - Layout.FIRST_DEVICE_GSI + 1;
            blockWorkers = new ThreadPoolExecutor(BLOCK_WORKERS, BLOCK_WORKERS, 10, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(BlockDevice.QUEUE_SIZE * slots), r -> {
                        Thread t = new Thread(r, threadName("blk" + n.incrementAndGet()));
                        t.setDaemon(true);
                        return t;
                    });
            blockWorkers.allowCoreThreadTimeOut(true);
        }
        return blockWorkers;
    }

    /** Disk I/O threads per VM: enough to overlap a few requests, few enough for many VMs per host. */
    static final int BLOCK_WORKERS = 4;
    /** How long a host stop lets in-flight disk requests finish; a kill does not wait. */
    static final Duration BLOCK_IO_GRACE = Duration.ofSeconds(5);

    private void shutDownBlockWorkers() throws InterruptedException {
        boolean killed;
        synchronized (lock) {
            killed = stopRequest != null && stopRequest.reason() == StopReason.KILLED;
        }
        if (killed) {
            blockWorkers.shutdownNow();
        } else {
            blockWorkers.shutdown();
            if (!blockWorkers.awaitTermination(BLOCK_IO_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                blockWorkers.shutdownNow();
            }
        }
        if (!blockWorkers.awaitTermination(BLOCK_IO_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("block I/O workers of VM " + name + " did not end within "
                    + BLOCK_IO_GRACE.toSeconds() + " s of being interrupted");
        }
    }

    /**
     * A snapshot for diagnosing a VM that stopped answering (an exec or a stream that hangs): its state, each vCPU
     * thread's Java state and exits (a count that does not move means the vCPU sits in KVM_RUN, halted or stuck),
     * each virtio transport with its pending interrupt bits and queue indices, and the vsock device's streams
     * (from the device loop, waiting at most {@code loopTimeout} for it). Any thread; it changes nothing.
     */
    public String describe(Duration loopTimeout) {
        StringBuilder sb = new StringBuilder(toString());
        List<Thread> ts;
        List<VcpuThread> vs;
        synchronized (lock) {
            ts = List.copyOf(threads);
            vs = List.copyOf(vcpuThreads);
        }
        for (int i = 0; i < vs.size(); i++) {
            sb.append("\n").append(vs.get(i).describe()).append(", thread ").append(ts.get(i).getState());
        }
        for (MmioTransport t : transports) {
            sb.append("\n").append(t.describe());
        }
        vsockDevice().ifPresent(v -> {
            try {
                sb.append("\n").append(v.describe().get(loopTimeout.toMillis(), TimeUnit.MILLISECONDS));
            } catch (java.util.concurrent.TimeoutException e) {
                sb.append("\nvsock: the device loop did not answer within ").append(loopTimeout.toMillis())
                        .append(" ms (stuck, or very busy)");
            } catch (java.util.concurrent.ExecutionException e) {
                sb.append("\nvsock: ").append(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                sb.append("\nvsock: interrupted");
            }
        });
        return sb.toString();
    }

    /**
     * Diagnostics: parks every vCPU for a moment (a kick), reads where each one is — RIP, RSP, RFLAGS (IF: may
     * interrupts come in?), CR3, its multiprocessing state, and its local APIC's timer and pending/in-service
     * interrupt bits — then lets them all run again. Nothing else sees the pause (no listener event). When not every
     * vCPU leaves {@code KVM_RUN} within {@code timeout} after its kick, that is the finding: it says so and lets the
     * parked ones run again. Only while RUNNING. Any thread but a vCPU's own.
     */
    public String sampleVcpus(Duration timeout) {
        StringBuilder sb = new StringBuilder();
        synchronized (lock) {
            if (state != VmState.RUNNING || control != RunControl.RUN) {
                return "vCPU registers: not sampled, the VM is " + state;
            }
            control = RunControl.PAUSE;
            kickAll();
            long deadline = System.nanoTime() + timeout.toNanos();
            while (control == RunControl.PAUSE && parkedThreads < liveThreads) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (control != RunControl.PAUSE) {
                return "vCPU registers: not sampled, the VM stopped meanwhile";
            }
            try {
                if (parkedThreads < liveThreads) {
                    sb.append("vCPU registers: only %d of %d vCPUs left KVM_RUN within %d ms of a kick (one is stuck inside it)"
                            .formatted(parkedThreads, liveThreads, timeout.toMillis()));
                } else {
                    for (KvmVcpu v : vcpus) {
                        sb.append(sb.length() == 0 ? "" : "\n").append(registersOf(v));
                    }
                }
            } finally {
                control = RunControl.RUN;
                lock.notifyAll();
            }
        }
        return sb.toString();
    }

    private static String registersOf(KvmVcpu v) {
        try {
            var r = v.regs();
            var s = v.sregs();
            var apic = v.lapic();
            StringBuilder irr = new StringBuilder();
            StringBuilder isr = new StringBuilder();
            for (int i = 7; i >= 0; i--) {
                irr.append("%08x".formatted(apic.register(LapicState.IRR + 0x10 * i)));
                isr.append("%08x".formatted(apic.register(LapicState.ISR + 0x10 * i)));
            }
            // mp_state: include/uapi/linux/kvm.h KVM_MP_STATE_* (0 runnable, 1 uninitialized, 3 halted, ...).
            return ("vCPU %d: RIP 0x%x RSP 0x%x RFLAGS 0x%x (IF %d) CR3 0x%x mp_state %d; APIC TPR 0x%x, timer LVT 0x%x"
                    + " initial 0x%x current 0x%x divide 0x%x, IRR %s, ISR %s").formatted(v.id(), r.rip(), r.rsp(),
                    r.rflags(), (r.rflags() >>> 9) & 1, s.cr3(), v.mpState().value(),
                    apic.register(LapicState.TASK_PRIORITY), apic.register(LapicState.LVT_TIMER),
                    apic.register(LapicState.TIMER_INITIAL_COUNT), apic.register(LapicState.TIMER_CURRENT_COUNT),
                    apic.register(LapicState.TIMER_DIVIDE), irr, isr);
        } catch (RuntimeException e) {
            return "vCPU " + v.id() + ": registers unreadable: " + e.getMessage();
        }
    }

    /** The virtio transports, in slot order (diagnostics: status, ignored accesses, last error). */
    public List<MmioTransport> virtioTransports() {
        return List.copyOf(transports);
    }

    /** ISA IRQ 1: the PS/2 keyboard's line on every PC. */
    static final int I8042_KEYBOARD_IRQ = 1;

    private void deliverConsole() {
        byte[] bytes = console.drain();
        if (bytes.length > 0) {
            consoleListener.output(bytes);
        }
    }

    // ---- lifecycle ----

    /** Starts one platform thread per vCPU. Once only. */
    public void start() {
        synchronized (lock) {
            if (state != VmState.CREATED) {
                throw new IllegalStateException("VM " + name + " cannot start: it is " + state);
            }
            state = VmState.RUNNING;
            liveThreads = vcpus.size();
            for (KvmVcpu v : vcpus) {
                VcpuThread run = new VcpuThread(this, v, pio, mmio);
                vcpuThreads.add(run);
                Thread t = new Thread(run, threadName("vcpu" + v.id()));
                t.setDaemon(true);
                threads.add(t);
            }
        }
        listener.started();
        for (Thread t : threads) {
            t.start();
        }
    }

    /** Kicks every vCPU out of the guest and parks its thread; returns once all are parked (or the VM ended). */
    public void pause() {
        synchronized (lock) {
            if (state != VmState.RUNNING) {
                throw new IllegalStateException("VM " + name + " cannot pause: it is " + state);
            }
            control = RunControl.PAUSE;
            kickAll();
            while (control == RunControl.PAUSE && parkedThreads < liveThreads) {
                waitOnLock();
            }
            if (control != RunControl.PAUSE) {
                return; // it stopped meanwhile; stopped() tells how
            }
            state = VmState.PAUSED;
        }
        listener.paused();
    }

    /**
     * How often each needle occurs in this VM's RAM (host-side forensics, {@link GuestScan}): the egress tests
     * prove with it that a secret the host injects on the way out never entered the guest. Only while
     * {@link #pause() paused}, so the picture is consistent; the VM cannot release its RAM during the scan.
     */
    public long[] countInMemory(java.util.List<byte[]> needles) {
        synchronized (lock) {
            if (state != VmState.PAUSED || released) {
                throw new IllegalStateException("VM " + name + " must be paused for a memory scan: it is " + state);
            }
            return GuestScan.countInMemory(memory, needles);
        }
    }

    /** Lets the parked vCPU threads run the guest again. */
    public void resume() {
        synchronized (lock) {
            if (state != VmState.PAUSED) {
                throw new IllegalStateException("VM " + name + " cannot resume: it is " + state);
            }
            control = RunControl.RUN;
            state = VmState.RUNNING;
            lock.notifyAll();
        }
        listener.resumed();
    }

    /** Stops the VM from the host and waits until it has released everything. */
    public VmStop stop() {
        requestStop(new VmStop(StopReason.HOST_STOP, "stopped by the host"));
        return awaitStopped();
    }

    /**
     * Kills the VM: like {@link #stop()}, but reported as {@link StopReason#KILLED}, for a host that gives up on
     * the guest. vCPUs leave at once either way (a kick interrupts KVM_RUN wherever the guest is); the
     * difference is device work: a stop gives in-flight disk requests {@link #BLOCK_IO_GRACE} to complete, a
     * kill interrupts them.
     */
    public VmStop kill() {
        requestStop(new VmStop(StopReason.KILLED, "killed by the host"));
        return awaitStopped();
    }

    /** Completes with how the VM ended, after everything it held is released. */
    public CompletableFuture<VmStop> stopped() {
        return stopped;
    }

    /** Waits up to {@code timeout} for the VM to end. */
    public Optional<VmStop> awaitStop(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(stopped.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("VM " + name + " ended abnormally", e.getCause());
        }
    }

    public VmState state() {
        synchronized (lock) {
            return state;
        }
    }

    public String name() {
        return name;
    }

    /** The port I/O bus, e.g. for its unclaimed-access counters. */
    public PioBus pioBus() {
        return pio;
    }

    public MmioBus mmioBus() {
        return mmio;
    }

    /**
     * Queues host input for the guest's serial console; returns how many bytes fit (the rest: try again later).
     */
    public int sendConsoleInput(byte[] bytes, int offset, int length) {
        if (serial == null) {
            throw new IllegalStateException("VM " + name + " has no serial console; build it with attachSerial()");
        }
        return serial.enqueueInput(bytes, offset, length);
    }

    /** Console bytes dropped because the console listener fell more than a buffer behind. */
    public long droppedConsoleBytes() {
        return console == null ? 0 : console.dropped();
    }

    /** Stops the VM if it still runs (HOST_STOP), waits for it, and waits for its threads to end. */
    @Override
    public void close() {
        stop();
        for (Thread t : threads) {
            if (t != Thread.currentThread()) {
                joinUninterruptibly(t);
            }
        }
    }

    // ---- run control, called by vCPU threads ----

    /** Parks while paused; returns true to run the guest again, false to leave. */
    boolean awaitRunPermission() {
        RunControl c = control;
        if (c == RunControl.RUN) {
            return true;
        }
        synchronized (lock) {
            if (control == RunControl.PAUSE) {
                // Counted once per park, and only this change notifies: parked threads woken by each other's
                // notifications must not notify again, or they would wake each other forever.
                parkedThreads++;
                lock.notifyAll();
                try {
                    while (control == RunControl.PAUSE) {
                        waitOnLock();
                    }
                } finally {
                    parkedThreads--;
                }
            }
            return control == RunControl.RUN;
        }
    }

    /** Ends the VM for {@code stop}'s reason; the first request wins. Any thread; never waits. */
    void requestStop(VmStop stop) {
        boolean finishNow;
        synchronized (lock) {
            if (stopRequest != null) {
                return;
            }
            stopRequest = stop;
            control = RunControl.STOP;
            finishNow = state == VmState.CREATED;
            state = VmState.STOPPING;
            lock.notifyAll();
            kickAll();
        }
        if (finishNow) {
            if (deviceLoop != null && Thread.currentThread() == deviceLoop.thread()) {
                Thread finisher = new Thread(this::finish, threadName("teardown"));
                finisher.start();
            } else {
                finish();
            }
        }
    }

    void vcpuThreadExited() {
        synchronized (lock) {
            liveThreads--;
            lock.notifyAll();
            if (liveThreads > 0) {
                return;
            }
        }
        finish();
    }

    /** With the lock held: brings every vCPU out of KVM_RUN (or keeps it from entering). */
    private void kickAll() {
        if (released) {
            return;
        }
        for (KvmVcpu v : vcpus) {
            try {
                v.kick();
            } catch (RuntimeException e) {
                // One vCPU that cannot be kicked must not keep the others (or the stop request) from happening:
                // it still leaves at its next exit, since the run control has changed.
                LOG.log(System.Logger.Level.ERROR, "VM " + name + ": kicking vCPU " + v.id() + " failed", e);
            }
        }
    }

    /** The last vCPU thread (or the host, for a VM never started) releases everything and reports the end. */
    private void finish() {
        VmStop stop;
        synchronized (lock) {
            stop = stopRequest;
        }
        RuntimeException failure = null;
        if (deviceLoop != null) {
            try {
                deviceLoop.close();
            } catch (RuntimeException e) {
                failure = e;
            }
            try {
                if (console != null) {
                    deliverConsole(); // what the guest wrote last, e.g. the line before its reset
                }
            } catch (RuntimeException e) {
                failure = addTo(failure, e);
            }
        }
        RuntimeException releaseFailure = release();
        if (releaseFailure != null) {
            failure = addTo(failure, releaseFailure);
        }
        if (failure != null) {
            stop = new VmStop(stop.reason(), stop.detail() + "; releasing the VM failed: " + failure.getMessage());
        }
        synchronized (lock) {
            state = VmState.STOPPED;
        }
        try {
            listener.stopped(stop);
        } finally {
            stopped.complete(stop);
        }
    }

    private RuntimeException release() {
        synchronized (lock) {
            released = true;
        }
        RuntimeException failure = null;
        if (deviceLoop != null) {
            try {
                deviceLoop.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        RuntimeException r = teardown.releaseAll();
        return r == null ? failure : addTo(failure, r);
    }

    private static RuntimeException addTo(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private VmStop awaitStopped() {
        if (threads.contains(Thread.currentThread())
                || (deviceLoop != null && Thread.currentThread() == deviceLoop.thread())) {
            // Called from the VM's own thread (e.g. a listener): the VM ends once this thread returns.
            synchronized (lock) {
                return stopRequest;
            }
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return stopped.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw new IllegalStateException("VM " + name + " ended abnormally", e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void waitOnLock() {
        try {
            lock.wait();
        } catch (InterruptedException e) {
            // Our own threads are never interrupted by us; a caller's interrupt is kept for it to see.
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for VM " + name + "'s vCPUs", e);
        }
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "MicroVm[" + name + ", " + config.vcpus() + " vCPUs, " + config.memoryMiB() + " MiB, " + state() + "]";
    }
}
