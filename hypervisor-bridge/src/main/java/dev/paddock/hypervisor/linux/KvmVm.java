package dev.paddock.hypervisor.linux;

import com.sun.jna.Memory;
import dev.paddock.hypervisor.HypervisorException;
import dev.paddock.hypervisor.VirtualMachine;
import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.memory.GuestRegion;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A KVM VM fd: memory slots, the in-kernel irqchip and PIT, irqfd/ioeventfd wiring, and vCPU creation.
 * Setup order that works on every KVM (REFERENCE.md): TSS address, memory, irqchip, PIT2, then vCPUs.
 */
public final class KvmVm implements VirtualMachine {
    private static final long PAGE = 4096;

    private final Kvm kvm;
    private final int fd;
    /** slot → size in bytes, for the dirty-log bitmap size. */
    private final Map<Integer, Long> slots = new ConcurrentHashMap<>();
    private volatile boolean closed;

    KvmVm(Kvm kvm, int fd) {
        this.kvm = kvm;
        this.fd = fd;
    }

    public Kvm kvm() {
        return kvm;
    }

    /** {@code KVM_SET_USER_MEMORY_REGION}: maps [hostAddress, +size) at guest-physical {@code gpa}. */
    public void setUserMemoryRegion(int slot, long gpa, long size, long hostAddress, boolean logDirtyPages) {
        checkOpen();
        if (size <= 0 || (gpa % PAGE) != 0 || (size % PAGE) != 0 || (hostAddress % PAGE) != 0) {
            throw new IllegalArgumentException(("memory slot %d: gpa 0x%x, size 0x%x and host address 0x%x must be"
                    + " page-aligned and the size positive").formatted(slot, gpa, size, hostAddress));
        }
        writeRegion(slot, logDirtyPages ? KvmAbi.KVM_MEM_LOG_DIRTY_PAGES : 0, gpa, size, hostAddress);
        slots.put(slot, size);
    }

    /** Removes memory slot {@code slot} (a region of size 0, as the KVM API defines deletion). */
    public void deleteUserMemoryRegion(int slot) {
        checkOpen();
        writeRegion(slot, 0, 0, 0, 0);
        slots.remove(slot);
    }

    private void writeRegion(int slot, int flags, long gpa, long size, long hostAddress) {
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_USERSPACE_MEMORY_REGION)) {
            m.clear();
            m.setInt(KvmAbi.MemoryRegion.SLOT, slot);
            m.setInt(KvmAbi.MemoryRegion.FLAGS, flags);
            m.setLong(KvmAbi.MemoryRegion.GUEST_PHYS_ADDR, gpa);
            m.setLong(KvmAbi.MemoryRegion.MEMORY_SIZE, size);
            m.setLong(KvmAbi.MemoryRegion.USERSPACE_ADDR, hostAddress);
            Sys.ioctl(fd, KvmAbi.KVM_SET_USER_MEMORY_REGION, m, "KVM_SET_USER_MEMORY_REGION(slot %d, gpa 0x%x, size 0x%x)"
                    .formatted(slot, gpa, size));
        }
    }

    /** Maps every region of {@code memory} into slots 0, 1, …, in region order. */
    @Override
    public void mapMemory(GuestMemory memory) {
        mapMemory(memory, 0, false);
    }

    /** Maps every region of {@code memory} into consecutive slots from {@code firstSlot}. */
    public void mapMemory(GuestMemory memory, int firstSlot, boolean logDirtyPages) {
        int slot = firstSlot;
        for (GuestRegion r : memory.regions()) {
            OptionalLong host = r.hostAddress();
            if (host.isEmpty()) {
                throw new IllegalArgumentException(("guest region [0x%x, +0x%x) has no host address: heap-backed"
                        + " guest memory is for device tests and cannot back a VM; use MmapGuestMemory")
                        .formatted(r.guestAddress(), r.size()));
            }
            setUserMemoryRegion(slot++, r.guestAddress(), r.size(), host.getAsLong(), logDirtyPages);
        }
    }

    /** {@code KVM_GET_DIRTY_LOG}: one bit per 4 KiB page of the slot, set when the guest wrote it since the last call. */
    public long[] dirtyLog(int slot) {
        checkOpen();
        Long size = slots.get(slot);
        if (size == null) {
            throw new IllegalArgumentException("memory slot " + slot + " is not mapped");
        }
        long pages = size / PAGE;
        int words = Math.toIntExact((pages + 63) / 64);
        try (Memory bitmap = new Memory((long) words * 8); Memory log = new Memory(KvmAbi.SIZEOF_KVM_DIRTY_LOG)) {
            bitmap.clear();
            log.clear();
            log.setInt(KvmAbi.DirtyLog.SLOT, slot);
            log.setPointer(KvmAbi.DirtyLog.DIRTY_BITMAP, bitmap);
            Sys.ioctl(fd, KvmAbi.KVM_GET_DIRTY_LOG, log, "KVM_GET_DIRTY_LOG(slot " + slot + ")");
            return bitmap.getLongArray(0, words);
        }
    }

    /** {@code KVM_SET_TSS_ADDR}: three pages Intel VMX uses to run real-mode code; must not overlap RAM or MMIO. */
    public void setTssAddress(long address) {
        checkOpen();
        Sys.ioctl(fd, KvmAbi.KVM_SET_TSS_ADDR, address, "KVM_SET_TSS_ADDR(0x%x)".formatted(address));
    }

    /** {@code KVM_CREATE_IRQCHIP}: in-kernel PIC, IOAPIC and LAPICs. Call before creating vCPUs. */
    public void createIrqchip() {
        checkOpen();
        requireCapability(KvmCapability.IRQCHIP);
        Sys.ioctl(fd, KvmAbi.KVM_CREATE_IRQCHIP, 0L, "KVM_CREATE_IRQCHIP");
    }

    /** {@code KVM_CREATE_PIT2} with KVM_PIT_SPEAKER_DUMMY, so port 0x61 reads need no userspace speaker. */
    public void createPit2() {
        checkOpen();
        requireCapability(KvmCapability.PIT2);
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_PIT_CONFIG)) {
            m.clear();
            m.setInt(KvmAbi.PitConfig.FLAGS, KvmAbi.PitConfig.SPEAKER_DUMMY);
            Sys.ioctl(fd, KvmAbi.KVM_CREATE_PIT2, m, "KVM_CREATE_PIT2");
        }
    }

    /** {@code KVM_IRQ_LINE}: drives GSI {@code irq} high or low on the in-kernel irqchip. */
    public void setIrqLine(int irq, boolean level) {
        checkOpen();
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_IRQ_LEVEL)) {
            m.setInt(KvmAbi.IrqLevel.IRQ, irq);
            m.setInt(KvmAbi.IrqLevel.LEVEL, level ? 1 : 0);
            Sys.ioctl(fd, KvmAbi.KVM_IRQ_LINE, m, "KVM_IRQ_LINE(irq " + irq + ")");
        }
    }

    /** {@code KVM_IRQFD}: each {@link EventFd#signal()} on {@code eventFd} raises GSI {@code gsi} (edge). */
    public void registerIrqfd(EventFd eventFd, int gsi) {
        irqfd(eventFd, gsi, 0, "KVM_IRQFD(gsi " + gsi + ")");
    }

    public void unregisterIrqfd(EventFd eventFd, int gsi) {
        irqfd(eventFd, gsi, KvmAbi.KVM_IRQFD_FLAG_DEASSIGN, "KVM_IRQFD(deassign gsi " + gsi + ")");
    }

    private void irqfd(EventFd eventFd, int gsi, int flags, String what) {
        checkOpen();
        eventFd.checkOpen();
        requireCapability(KvmCapability.IRQFD);
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_IRQFD)) {
            m.clear();
            m.setInt(KvmAbi.Irqfd.FD, eventFd.fd());
            m.setInt(KvmAbi.Irqfd.GSI, gsi);
            m.setInt(KvmAbi.Irqfd.FLAGS, flags);
            Sys.ioctl(fd, KvmAbi.KVM_IRQFD, m, what);
        }
    }

    /** Where an ioeventfd listens: the port I/O space or the MMIO (guest-physical) space. */
    public enum IoSpace {
        PIO,
        MMIO
    }

    /**
     * {@code KVM_IOEVENTFD}: a guest write of {@code length} bytes (1, 2, 4 or 8) to {@code address} signals
     * {@code eventFd} inside the kernel, with no exit to userspace. With {@code datamatch} present only writes
     * of that value match; others exit as usual.
     */
    public void registerIoeventfd(EventFd eventFd, IoSpace space, long address, int length, OptionalLong datamatch) {
        ioeventfd(eventFd, space, address, length, datamatch, false);
    }

    public void unregisterIoeventfd(EventFd eventFd, IoSpace space, long address, int length,
            OptionalLong datamatch) {
        ioeventfd(eventFd, space, address, length, datamatch, true);
    }

    private void ioeventfd(EventFd eventFd, IoSpace space, long address, int length, OptionalLong datamatch,
            boolean deassign) {
        checkOpen();
        eventFd.checkOpen();
        requireCapability(KvmCapability.IOEVENTFD);
        if (length != 1 && length != 2 && length != 4 && length != 8) {
            throw new IllegalArgumentException("ioeventfd length must be 1, 2, 4 or 8 bytes, got " + length);
        }
        int flags = (space == IoSpace.PIO ? KvmAbi.KVM_IOEVENTFD_FLAG_PIO : 0)
                | (datamatch.isPresent() ? KvmAbi.KVM_IOEVENTFD_FLAG_DATAMATCH : 0)
                | (deassign ? KvmAbi.KVM_IOEVENTFD_FLAG_DEASSIGN : 0);
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_IOEVENTFD)) {
            m.clear();
            m.setLong(KvmAbi.Ioeventfd.DATAMATCH, datamatch.orElse(0));
            m.setLong(KvmAbi.Ioeventfd.ADDR, address);
            m.setInt(KvmAbi.Ioeventfd.LEN, length);
            m.setInt(KvmAbi.Ioeventfd.FD, eventFd.fd());
            m.setInt(KvmAbi.Ioeventfd.FLAGS, flags);
            Sys.ioctl(fd, KvmAbi.KVM_IOEVENTFD, m, "KVM_IOEVENTFD(%s%s 0x%x, len %d)"
                    .formatted(deassign ? "deassign " : "", space, address, length));
        }
    }

    /** {@code KVM_GET_CLOCK}. */
    public KvmClock clock() {
        checkOpen();
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_CLOCK_DATA)) {
            m.clear();
            Sys.ioctl(fd, KvmAbi.KVM_GET_CLOCK, m, "KVM_GET_CLOCK");
            return new KvmClock(m.getLong(KvmAbi.ClockData.CLOCK), m.getInt(KvmAbi.ClockData.FLAGS),
                    m.getLong(KvmAbi.ClockData.REALTIME), m.getLong(KvmAbi.ClockData.HOST_TSC));
        }
    }

    /** {@code KVM_SET_CLOCK}: sets the guest's kvmclock to {@code clock.clock()} nanoseconds. */
    public void setClock(KvmClock clock) {
        checkOpen();
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_CLOCK_DATA)) {
            m.clear();
            m.setLong(KvmAbi.ClockData.CLOCK, clock.clock());
            m.setInt(KvmAbi.ClockData.FLAGS, clock.flags());
            m.setLong(KvmAbi.ClockData.REALTIME, clock.realtime());
            m.setLong(KvmAbi.ClockData.HOST_TSC, clock.hostTsc());
            Sys.ioctl(fd, KvmAbi.KVM_SET_CLOCK, m, "KVM_SET_CLOCK");
        }
    }

    /** {@code KVM_CREATE_VCPU} and the mmap of its kvm_run page. */
    @Override
    public KvmVcpu createVcpu(int id) {
        checkOpen();
        int vcpuFd = Sys.ioctl(fd, KvmAbi.KVM_CREATE_VCPU, id, "KVM_CREATE_VCPU(" + id + ")");
        try {
            return new KvmVcpu(id, vcpuFd, kvm.vcpuMmapSize());
        } catch (RuntimeException e) {
            try {
                Sys.close(vcpuFd, "vcpu " + id);
            } catch (RuntimeException closeFailure) {
                e.addSuppressed(closeFailure);
            }
            throw e;
        }
    }

    private void requireCapability(KvmCapability cap) {
        if (Sys.ioctl(fd, KvmAbi.KVM_CHECK_EXTENSION, cap.number(), "KVM_CHECK_EXTENSION(" + cap.cName() + ")") <= 0) {
            throw Kvm.missingCapability(kvm.device(), cap);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new HypervisorException("the VM (fd " + fd + ") is closed");
        }
    }

    /** Closes the VM fd. The kernel frees the VM once every vCPU fd is closed too. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Sys.close(fd, "vm fd " + fd);
        }
    }
}
