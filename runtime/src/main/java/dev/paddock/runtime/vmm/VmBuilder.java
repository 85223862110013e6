package dev.paddock.runtime.vmm;

import dev.paddock.runtime.devices.legacy.ConsoleListener;
import dev.paddock.runtime.arch.x86.Layout;
import dev.paddock.runtime.virtio.VirtioDevice;
import dev.paddock.runtime.virtio.block.BlockDeviceConfig;
import dev.paddock.runtime.virtio.fs.FsDeviceConfig;
import dev.paddock.runtime.virtio.rng.RngDevice;
import dev.paddock.runtime.virtio.vsock.VsockBackend;
import dev.paddock.runtime.virtio.vsock.VsockDeviceConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Describes a microVM in small steps and builds it:
 * <pre>{@code
 * MicroVm vm = VmBuilder.create()
 *         .memoryMiB(256).vcpus(2)
 *         .kernel(Path.of("vmlinuz")).initrd(Path.of("initrd.img")).cmdline("console=ttyS0 reboot=k panic=1")
 *         .attachSerial(bytes -> System.out.write(bytes, 0, bytes.length))
 *         .attachI8042()
 *         .listener(myListener)
 *         .build();
 * vm.start();
 * }</pre>
 * Settings are checked as they are given and again in {@link #build()}, which throws {@link VmConfigException}
 * naming the setting, the value and what is allowed. Devices are attached in the order of the steps.
 */
public final class VmBuilder {
    private static final AtomicLong NEXT_ID = new AtomicLong();

    private String name = "vm" + NEXT_ID.incrementAndGet();
    private long memoryBytes = 256L << 20;
    private int vcpus = 1;
    private Path kernel;
    private Path initrd;
    private String cmdline = "";
    private RealModeImage realModeImage;
    private VmListener listener = VmListener.NONE;
    private GuestRamPool ramPool;
    private boolean serialAttached;
    private boolean i8042Attached;
    private boolean vsockAttached;
    private int virtioDevices;
    private final List<DeviceAttachment> devices = new ArrayList<>();

    private VmBuilder() {
    }

    public static VmBuilder create() {
        return new VmBuilder();
    }

    /** A short name for threads and messages (letters, digits, '-', '_'). Default: vm1, vm2, … */
    public VmBuilder name(String name) {
        if (name == null || !name.matches("[A-Za-z0-9_-]{1,32}")) {
            throw new VmConfigException("VM name \"" + name + "\" must be 1 to 32 letters, digits, '-' or '_'");
        }
        this.name = name;
        return this;
    }

    /** Guest RAM in bytes (at least 64 MiB, whole MiB). Default 256 MiB. */
    public VmBuilder memory(long bytes) {
        new VmConfig(bytes, 1);
        this.memoryBytes = bytes;
        return this;
    }

    public VmBuilder memoryMiB(long mib) {
        return memory(mib << 20);
    }

    /** vCPUs, 1 to 254. Default 1. */
    public VmBuilder vcpus(int n) {
        new VmConfig(VmConfig.MIN_MEMORY_MIB << 20, n);
        this.vcpus = n;
        return this;
    }

    /** The kernel to boot: a bzImage or an ELF vmlinux with a PVH note. */
    public VmBuilder kernel(Path kernel) {
        this.kernel = Objects.requireNonNull(kernel, "kernel");
        return this;
    }

    public VmBuilder initrd(Path initrd) {
        this.initrd = Objects.requireNonNull(initrd, "initrd");
        return this;
    }

    public VmBuilder cmdline(String cmdline) {
        this.cmdline = Objects.requireNonNull(cmdline, "cmdline");
        return this;
    }

    /** Instead of a kernel: a flat real-mode program (tests, probes). */
    public VmBuilder realModeImage(RealModeImage image) {
        this.realModeImage = Objects.requireNonNull(image, "image");
        return this;
    }

    /** An 8250 UART at COM1 (ports 0x3F8–0x3FF, IRQ 4) whose output goes to {@code console}. */
    public VmBuilder attachSerial(ConsoleListener console) {
        Objects.requireNonNull(console, "console");
        if (serialAttached) {
            throw new VmConfigException("attachSerial() was called twice; a VM has one serial console at COM1");
        }
        serialAttached = true;
        devices.add(vm -> vm.attachSerial(console));
        return this;
    }

    /** The i8042 PS/2 controller at ports 0x60/0x64: a guest reset through it ({@code reboot=k}) ends the VM. */
    public VmBuilder attachI8042() {
        if (i8042Attached) {
            throw new VmConfigException("attachI8042() was called twice; a VM has one PS/2 controller");
        }
        i8042Attached = true;
        devices.add(MicroVm::attachI8042);
        return this;
    }

    /**
     * A virtio device on a virtio-mmio transport in the next slot (base 0xC0001000 + n·4 KiB, GSI 5 + n),
     * described to the guest in the DSDT. The caller keeps ownership of {@code device} (closing it, if it
     * holds anything, after the VM ends).
     */
    public VmBuilder attachVirtio(VirtioDevice device) {
        Objects.requireNonNull(device, "device");
        countVirtio("virtio device type " + device.deviceType());
        devices.add(vm -> vm.attachVirtio("virtio-" + device.deviceType(), device));
        return this;
    }

    /** virtio-rng fed by the host's SecureRandom: the guest's /dev/hwrng. */
    public VmBuilder attachRng() {
        countVirtio("virtio-rng");
        devices.add(vm -> vm.attachVirtio("virtio-rng", new RngDevice()));
        return this;
    }

    /** virtio-blk over a raw image file, read-only or not; the VM opens the file when built and closes it when it ends. */
    public VmBuilder attachBlock(BlockDeviceConfig disk) {
        Objects.requireNonNull(disk, "disk");
        countVirtio("virtio-blk " + disk.image());
        devices.add(vm -> vm.attachBlock(disk));
        return this;
    }

    /**
     * virtio-vsock with the guest CID of {@code config}: guest-initiated streams go to {@code backend}, and the
     * built VM's {@link MicroVm#vsock()} opens streams into the guest. One per VM.
     */
    public VmBuilder attachVsock(VsockDeviceConfig config, VsockBackend backend) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(backend, "backend");
        if (vsockAttached) {
            throw new VmConfigException("attachVsock() was called twice; a VM has one vsock device (one guest CID)");
        }
        countVirtio("virtio-vsock (guest CID " + config.guestCid() + ")");
        vsockAttached = true;
        devices.add(vm -> vm.attachVsock(config, backend));
        return this;
    }

    /**
     * virtio-fs sharing {@code share.sharedDir()} under {@code share.tag()}: the guest mounts it with
     * {@code mount -t virtiofs <tag> <dir>}. The VM opens the directory when built, serves it on a worker pool
     * of its own, and lets go of it when the VM ends. docs/devices/virtio-fs.md.
     */
    public VmBuilder attachFs(FsDeviceConfig share) {
        Objects.requireNonNull(share, "share");
        countVirtio("virtio-fs " + share.tag());
        devices.add(vm -> vm.attachFs(share));
        return this;
    }

    private void countVirtio(String what) {
        int slots = Layout.LAST_DEVICE_GSI - Layout.FIRST_DEVICE_GSI + 1;
        if (virtioDevices == slots) {
            throw new VmConfigException("cannot attach " + what + ": all " + slots
                    + " virtio-mmio slots (GSIs 5..23) are taken");
        }
        virtioDevices++;
    }

    /**
     * Takes guest RAM from {@code pool}: already faulted in when the pool has a region of this VM's size ready,
     * fresh otherwise ({@link GuestRamPool}). Without this step every VM maps fresh memory and faults it in as the
     * loaders and the guest touch it.
     */
    public VmBuilder guestRam(GuestRamPool pool) {
        this.ramPool = Objects.requireNonNull(pool, "pool");
        return this;
    }

    public VmBuilder listener(VmListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        return this;
    }

    /** The machine settings, checked. */
    public VmConfig config() {
        return new VmConfig(memoryBytes, vcpus);
    }

    /** What the VM boots, checked: exactly one of a kernel or a real-mode image. */
    public BootSource bootSource() {
        if (kernel != null && realModeImage != null) {
            throw new VmConfigException("both a kernel (" + kernel + ") and a real-mode image were given; choose one");
        }
        if (realModeImage != null) {
            if (initrd != null || !cmdline.isEmpty()) {
                throw new VmConfigException("an initrd or a kernel command line needs a kernel, not a real-mode image");
            }
            return realModeImage;
        }
        if (kernel == null) {
            if (initrd != null) {
                throw new VmConfigException("an initrd (" + initrd + ") was given without a kernel; add kernel(path)");
            }
            throw new VmConfigException("nothing to boot: give kernel(path) or realModeImage(image)");
        }
        return new KernelConfig(kernel, Optional.ofNullable(initrd), cmdline);
    }

    /** Creates the VM (not yet running: call {@link MicroVm#start()}). */
    public MicroVm build() {
        VmConfig config = config();
        BootSource boot = bootSource();
        if (boot instanceof KernelConfig k) {
            k.checkFiles();
        }
        return MicroVm.create(name, config, boot, List.copyOf(devices), listener, ramPool);
    }
}
