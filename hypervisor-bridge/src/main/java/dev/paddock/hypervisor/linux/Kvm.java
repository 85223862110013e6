package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import dev.paddock.hypervisor.HypervisorException;
import dev.paddock.hypervisor.x86.CpuidEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The KVM system handle: an open {@code /dev/kvm}. Top of KVM's fd hierarchy (system → VM → vCPU);
 * {@link #createVm()} gives the next level. Thread-safe; close it after every VM created from it.
 */
public final class Kvm implements AutoCloseable {

    /** Where Linux puts the KVM device. */
    public static final Path DEVICE = Path.of("/dev/kvm");

    /** How the user gets a working accelerator when this host has no usable KVM. */
    static final String EMULATED_HINT = "or run Paddock on its emulated accelerator, a QEMU helper VM with nested KVM"
            + " (`paddock rig`, see docs/accelerators.md)";

    /** KVM_MAX_CPUID_ENTRIES is 256 in current kernels; grow on E2BIG in case that changes. */
    private static final int INITIAL_CPUID_ENTRIES = 256;
    private static final int E2BIG = 7;

    private final Path device;
    private final int fd;
    private final int vcpuMmapSize;
    private volatile boolean closed;

    private Kvm(Path device, int fd) {
        this.device = device;
        this.fd = fd;
        this.vcpuMmapSize = Sys.ioctl(fd, KvmAbi.KVM_GET_VCPU_MMAP_SIZE, 0L, "KVM_GET_VCPU_MMAP_SIZE");
    }

    /** Opens {@link #DEVICE}. */
    public static Kvm open() {
        return open(DEVICE);
    }

    /** Opens a KVM device at {@code device}; the path is a parameter so tests can name a missing one. */
    static Kvm open(Path device) {
        int fd;
        try {
            fd = LibC.open(device.toString(), LibC.O_RDWR | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw openFailure(device, e.getErrorCode(), e);
        }
        try {
            int version = Sys.ioctl(fd, KvmAbi.KVM_GET_API_VERSION, 0L, "KVM_GET_API_VERSION");
            if (version != KvmAbi.KVM_API_VERSION) {
                throw new HypervisorException(device + " reports KVM API version " + version + "; Paddock needs "
                        + KvmAbi.KVM_API_VERSION + " (every Linux since 2.6.22 reports 12; is this really KVM?)");
            }
            return new Kvm(device, fd);
        } catch (RuntimeException e) {
            closeQuietlyAfter(fd, e);
            throw e;
        }
    }

    static HypervisorException openFailure(Path device, int errno, Throwable cause) {
        String errnoText = Errno.describe(errno);
        if (errno == LibC.ENOENT || (errno == 0 && !Files.exists(device))) {
            return new HypervisorException(device + " does not exist (" + errnoText + "): this host offers no KVM."
                    + " Load the KVM module for your CPU (sudo modprobe kvm_intel, or sudo modprobe kvm_amd) after"
                    + " enabling virtualization in the firmware or, on a cloud VM, nested virtualization; "
                    + EMULATED_HINT + ".", errno, cause);
        }
        if (errno == LibC.EACCES || errno == LibC.EPERM) {
            return new HypervisorException("cannot open " + device + ": " + errnoText + ". Add your user to the"
                    + " group that owns it (usually: sudo usermod -aG kvm $USER, then log in again).", errno, cause);
        }
        return new HypervisorException("open(" + device + ") failed: " + errnoText, errno, cause);
    }

    private static void closeQuietlyAfter(int fd, RuntimeException primary) {
        try {
            LibC.close(fd);
        } catch (LastErrorException e) {
            primary.addSuppressed(Sys.failure("close(" + "kvm fd" + ")", e));
        }
    }

    /** The device this handle was opened from. */
    public Path device() {
        return device;
    }

    /** {@code KVM_CHECK_EXTENSION}: 0 when absent, otherwise positive (some capabilities return a count). */
    public int checkExtension(KvmCapability cap) {
        return Sys.ioctl(fd, KvmAbi.KVM_CHECK_EXTENSION, cap.number(), "KVM_CHECK_EXTENSION(" + cap.cName() + ")");
    }

    public boolean hasCapability(KvmCapability cap) {
        return checkExtension(cap) > 0;
    }

    /** Throws an error naming the capability and what needs it when {@code cap} is absent. */
    public void requireCapability(KvmCapability cap) {
        if (!hasCapability(cap)) {
            throw missingCapability(device, cap);
        }
    }

    static HypervisorException missingCapability(Path device, KvmCapability cap) {
        return new HypervisorException(device + " lacks " + cap.cName() + ", which Paddock needs for "
                + cap.neededFor() + ". Use a newer host kernel, " + EMULATED_HINT + ".");
    }

    /** {@code KVM_GET_VCPU_MMAP_SIZE}: bytes to mmap from a vCPU fd (kvm_run plus the PIO data page). */
    public int vcpuMmapSize() {
        return vcpuMmapSize;
    }

    /** {@code KVM_GET_SUPPORTED_CPUID}: the CPUID leaves this host's KVM can expose to a guest. */
    public List<CpuidEntry> supportedCpuid() {
        for (int max = INITIAL_CPUID_ENTRIES; ; max *= 2) {
            try (Memory buf = new Memory(KvmAbi.SIZEOF_KVM_CPUID2 + (long) max * KvmAbi.SIZEOF_KVM_CPUID_ENTRY2)) {
                buf.clear();
                buf.setInt(KvmAbi.Cpuid2.NENT, max);
                try {
                    LibC.ioctl(fd, KvmAbi.KVM_GET_SUPPORTED_CPUID, buf);
                } catch (LastErrorException e) {
                    if (e.getErrorCode() == E2BIG && max < 65536) {
                        continue;
                    }
                    throw Sys.failure("KVM_GET_SUPPORTED_CPUID", e);
                }
                return X86State.readCpuid(buf);
            }
        }
    }

    /** {@code KVM_CREATE_VM} with the default machine type. */
    public KvmVm createVm() {
        int vmFd = Sys.ioctl(fd, KvmAbi.KVM_CREATE_VM, 0L, "KVM_CREATE_VM");
        return new KvmVm(this, vmFd);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Sys.close(fd, device.toString());
        }
    }

    @Override
    public String toString() {
        return "Kvm[" + device + ", fd " + fd + "]";
    }
}
