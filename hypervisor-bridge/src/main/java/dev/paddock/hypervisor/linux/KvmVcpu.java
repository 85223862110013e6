package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.paddock.hypervisor.HypervisorException;
import dev.paddock.hypervisor.VcpuExit;
import dev.paddock.hypervisor.VirtualCpu;
import dev.paddock.hypervisor.x86.CpuidEntry;
import dev.paddock.hypervisor.x86.Fpu;
import dev.paddock.hypervisor.x86.LapicState;
import dev.paddock.hypervisor.x86.MpState;
import dev.paddock.hypervisor.x86.MsrEntry;
import dev.paddock.hypervisor.x86.Regs;
import dev.paddock.hypervisor.x86.Sregs;
import dev.paddock.hypervisor.x86.VcpuEvents;
import dev.paddock.hypervisor.x86.Xcrs;
import dev.paddock.hypervisor.x86.Xsave;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A KVM vCPU fd and its mmap'd {@code struct kvm_run}. One thread calls {@link #run()} (the vCPU thread);
 * {@link #kick()} may be called from any thread. State getters and setters must not race {@link #run()}:
 * call them from the vCPU thread or while it is not running.
 */
public final class KvmVcpu implements VirtualCpu {
    private static final VcpuExit.Hlt HLT = new VcpuExit.Hlt();
    private static final VcpuExit.Shutdown SHUTDOWN = new VcpuExit.Shutdown();
    private static final VcpuExit.Interrupted INTERRUPTED = new VcpuExit.Interrupted();

    private final int id;
    private final int fd;
    private final Pointer run;
    /**
     * The same kvm_run mapping as a direct buffer, for the exit decode on the vCPU thread: its accesses compile to
     * plain loads, where each {@code Pointer.getXxx} is a JNI call (several per exit, every exit).
     */
    private final ByteBuffer runView;
    private final long runSize;
    /** The vCPU thread's pthread_t, looked up once per thread instead of once per run(). */
    private Thread runner;
    private long runnerPthread;

    /** pthread_t of the thread inside KVM_RUN, 0 when none; cleared under {@link #kickLock}. */
    private volatile long runningThread;
    private final Object kickLock = new Object();
    /** Counts run() calls, so an ExitData used after the next run() is detected. */
    private volatile long generation;
    private volatile boolean closed;

    KvmVcpu(int id, int fd, int mmapSize) {
        this.id = id;
        this.fd = fd;
        this.runSize = mmapSize;
        try {
            this.run = LibC.mmap(null, mmapSize, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd, 0);
        } catch (LastErrorException e) {
            throw Sys.failure("mmap(kvm_run of vCPU " + id + ", " + mmapSize + " bytes)", e);
        }
        this.runView = run.getByteBuffer(0, mmapSize).order(ByteOrder.nativeOrder());
    }

    @Override
    public int id() {
        return id;
    }

    /**
     * {@code KVM_RUN}: runs the guest until it exits, and decodes the exit. An {@code EINTR} (a kick, or any
     * handled signal) returns {@link VcpuExit.Interrupted} and clears {@code immediate_exit}.
     */
    @Override
    public VcpuExit run() {
        checkOpen();
        generation++;
        Thread current = Thread.currentThread();
        if (current != runner) {
            runner = current;
            runnerPthread = LibC.pthread_self();
        }
        runningThread = runnerPthread;
        int errno = 0;
        try {
            LibC.ioctl(fd, KvmAbi.KVM_RUN, 0L);
        } catch (LastErrorException e) {
            errno = e.getErrorCode();
        } finally {
            // Under the lock, so a concurrent kick() never signals a thread that has left run() (and may be gone).
            synchronized (kickLock) {
                runningThread = 0;
            }
        }
        if (errno == LibC.EINTR) {
            run.setByte(KvmAbi.Run.IMMEDIATE_EXIT, (byte) 0);
            return INTERRUPTED;
        }
        if (errno != 0) {
            throw new HypervisorException("KVM_RUN (vCPU " + id + ") failed: " + Errno.describe(errno), errno);
        }
        return decodeExit();
    }

    private VcpuExit decodeExit() {
        int reason = runView.getInt(KvmAbi.Run.EXIT_REASON);
        switch (reason) {
            case KvmAbi.KVM_EXIT_IO:
                return decodeIo();
            case KvmAbi.KVM_EXIT_MMIO:
                return decodeMmio();
            case KvmAbi.KVM_EXIT_HLT:
                return HLT;
            case KvmAbi.KVM_EXIT_SHUTDOWN:
                return SHUTDOWN;
            case KvmAbi.KVM_EXIT_INTR:
                return INTERRUPTED;
            case KvmAbi.KVM_EXIT_FAIL_ENTRY:
                return new VcpuExit.FailEntry(runView.getLong(KvmAbi.Run.FAIL_ENTRY_HARDWARE_ENTRY_FAILURE_REASON),
                        runView.getInt(KvmAbi.Run.FAIL_ENTRY_CPU));
            case KvmAbi.KVM_EXIT_INTERNAL_ERROR:
                return new VcpuExit.InternalError(runView.getInt(KvmAbi.Run.INTERNAL_SUBERROR),
                        exitData(KvmAbi.Run.INTERNAL_NDATA, KvmAbi.Run.INTERNAL_DATA));
            case KvmAbi.KVM_EXIT_SYSTEM_EVENT:
                return new VcpuExit.SystemEvent(runView.getInt(KvmAbi.Run.SYSTEM_EVENT_TYPE),
                        exitData(KvmAbi.Run.SYSTEM_EVENT_NDATA, KvmAbi.Run.SYSTEM_EVENT_DATA));
            default:
                return new VcpuExit.Unknown(reason, runView.getLong(KvmAbi.Run.HW_HARDWARE_EXIT_REASON));
        }
    }

    private VcpuExit decodeIo() {
        int direction = runView.get(KvmAbi.Run.IO_DIRECTION) & 0xFF;
        int size = runView.get(KvmAbi.Run.IO_SIZE) & 0xFF;
        int port = runView.getShort(KvmAbi.Run.IO_PORT) & 0xFFFF;
        long count = runView.getInt(KvmAbi.Run.IO_COUNT) & 0xFFFFFFFFL;
        long dataOffset = runView.getLong(KvmAbi.Run.IO_DATA_OFFSET);
        // GUEST-CONTROLLED: size comes from the instruction's operand size and count from a REP prefix's RCX.
        // Only read/write the data area when it lies wholly inside our kvm_run mapping.
        if (size != 1 && size != 2 && size != 4) {
            throw new HypervisorException("KVM_EXIT_IO on port 0x%x with size %d (expected 1, 2 or 4)"
                    .formatted(port, size));
        }
        long length = size * count;
        if (count == 0 || dataOffset < KvmAbi.Run.IO_DATA_OFFSET + 8 || dataOffset > runSize
                || length > runSize - dataOffset) {
            throw new HypervisorException(("KVM_EXIT_IO on port 0x%x: %d×%d bytes at data_offset %d fall outside"
                    + " the %d-byte kvm_run mapping").formatted(port, count, size, dataOffset, runSize));
        }
        VcpuExit.Direction dir = direction == KvmAbi.KVM_EXIT_IO_OUT ? VcpuExit.Direction.OUT : VcpuExit.Direction.IN;
        return new VcpuExit.Io(port, size, dir, (int) count,
                new KvmExitData(this, generation, runView, (int) dataOffset, (int) length));
    }

    private VcpuExit decodeMmio() {
        long address = runView.getLong(KvmAbi.Run.MMIO_PHYS_ADDR);
        int len = runView.getInt(KvmAbi.Run.MMIO_LEN);
        // GUEST-CONTROLLED: the access width comes from the guest instruction; data[] holds 8 bytes.
        if (len < 1 || len > 8) {
            throw new HypervisorException("KVM_EXIT_MMIO at 0x%x with length %d (expected 1 to 8)"
                    .formatted(address, len));
        }
        boolean isWrite = runView.get(KvmAbi.Run.MMIO_IS_WRITE) != 0;
        return new VcpuExit.Mmio(address, len, isWrite,
                new KvmExitData(this, generation, runView, KvmAbi.Run.MMIO_DATA, len));
    }

    private List<Long> exitData(int ndataOffset, int dataOffset) {
        // GUEST-CONTROLLED (indirectly: the kernel reports what the guest caused): ndata is capped at data[16].
        int n = Math.min(Math.max(runView.getInt(ndataOffset), 0), KvmAbi.Run.MAX_EXIT_DATA);
        List<Long> data = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            data.add(runView.getLong(dataOffset + 8 * i));
        }
        return data;
    }

    void checkGeneration(long g) {
        if (g != generation) {
            throw new IllegalStateException("this exit's data is stale: vCPU " + id + " has run again since");
        }
    }

    /**
     * Stops the guest: sets {@code kvm_run.immediate_exit} (so a {@code KVM_RUN} about to start returns at once)
     * and signals the thread inside {@code KVM_RUN}, if any, with SIGRTMIN (so a running guest exits). The
     * current or next {@link #run()} returns {@link VcpuExit.Interrupted}. Safe from any thread.
     */
    @Override
    public void kick() {
        checkOpen();
        int sig = VcpuSignal.number(); // installs the handler before the first signal can be sent
        run.setByte(KvmAbi.Run.IMMEDIATE_EXIT, (byte) 1);
        synchronized (kickLock) {
            long thread = runningThread;
            if (thread != 0) {
                int rc = LibC.pthread_kill(thread, sig);
                if (rc != 0) {
                    throw new HypervisorException("pthread_kill(vCPU " + id + " thread) failed: " + Errno.describe(rc),
                            rc);
                }
            }
        }
    }

    /** Installs the kick signal's handler now, so the first kick() needs no sigaction. */
    public static void prepareKick() {
        VcpuSignal.number();
    }

    // ---- state ----

    public Regs regs() {
        try (Memory m = get(KvmAbi.KVM_GET_REGS, KvmAbi.SIZEOF_KVM_REGS, "KVM_GET_REGS")) {
            return X86State.readRegs(m);
        }
    }

    public void setRegs(Regs regs) {
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_REGS)) {
            X86State.writeRegs(m, regs);
            set(KvmAbi.KVM_SET_REGS, m, "KVM_SET_REGS");
        }
    }

    public Sregs sregs() {
        try (Memory m = get(KvmAbi.KVM_GET_SREGS, KvmAbi.SIZEOF_KVM_SREGS, "KVM_GET_SREGS")) {
            return X86State.readSregs(m);
        }
    }

    public void setSregs(Sregs sregs) {
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_SREGS)) {
            m.clear();
            X86State.writeSregs(m, sregs);
            set(KvmAbi.KVM_SET_SREGS, m, "KVM_SET_SREGS");
        }
    }

    public Fpu fpu() {
        try (Memory m = get(KvmAbi.KVM_GET_FPU, KvmAbi.SIZEOF_KVM_FPU, "KVM_GET_FPU")) {
            return new Fpu(m.getByteArray(0, KvmAbi.SIZEOF_KVM_FPU));
        }
    }

    public void setFpu(Fpu fpu) {
        setBytes(KvmAbi.KVM_SET_FPU, fpu.bytes(), "KVM_SET_FPU");
    }

    /** {@code KVM_GET_MSRS} for the given MSR indices; throws when KVM could read only some of them. */
    public List<MsrEntry> msrs(int... indices) {
        checkOpen();
        try (Memory m = X86State.msrBuffer(indices.length)) {
            for (int i = 0; i < indices.length; i++) {
                X86State.writeMsr(m, i, new MsrEntry(indices[i], 0));
            }
            int read = Sys.ioctl(fd, KvmAbi.KVM_GET_MSRS, m, "KVM_GET_MSRS");
            if (read != indices.length) {
                throw new HypervisorException("KVM_GET_MSRS read %d of %d MSRs; MSR 0x%x is not supported"
                        .formatted(read, indices.length, indices[read]));
            }
            List<MsrEntry> out = new ArrayList<>(indices.length);
            for (int i = 0; i < indices.length; i++) {
                out.add(X86State.readMsr(m, i));
            }
            return out;
        }
    }

    /** {@code KVM_SET_MSRS}; throws naming the first MSR KVM refused. */
    public void setMsrs(List<MsrEntry> entries) {
        checkOpen();
        try (Memory m = X86State.msrBuffer(entries.size())) {
            for (int i = 0; i < entries.size(); i++) {
                X86State.writeMsr(m, i, entries.get(i));
            }
            int written = Sys.ioctl(fd, KvmAbi.KVM_SET_MSRS, m, "KVM_SET_MSRS");
            if (written != entries.size()) {
                throw new HypervisorException("KVM_SET_MSRS wrote %d of %d MSRs; KVM refused MSR 0x%x"
                        .formatted(written, entries.size(), entries.get(written).index()));
            }
        }
    }

    /** {@code KVM_SET_CPUID2}. */
    public void setCpuid(List<CpuidEntry> entries) {
        checkOpen();
        try (Memory m = X86State.writeCpuid(entries)) {
            Sys.ioctl(fd, KvmAbi.KVM_SET_CPUID2, m, "KVM_SET_CPUID2(" + entries.size() + " entries)");
        }
    }

    /** {@code KVM_GET_CPUID2}: what was set with {@link #setCpuid}. */
    public List<CpuidEntry> cpuid() {
        checkOpen();
        int max = 256;
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_CPUID2 + (long) max * KvmAbi.SIZEOF_KVM_CPUID_ENTRY2)) {
            // Some kernels (6.1 among them, seen in the helper VM) leave nent as passed in on success. Fill the
            // entries with 0xFF so the unwritten tail is recognisable: no real entry has flags 0xFFFFFFFF.
            m.clear();
            m.setMemory(KvmAbi.Cpuid2.ENTRIES, (long) max * KvmAbi.SIZEOF_KVM_CPUID_ENTRY2, (byte) 0xFF);
            m.setInt(KvmAbi.Cpuid2.NENT, max);
            Sys.ioctl(fd, KvmAbi.KVM_GET_CPUID2, m, "KVM_GET_CPUID2");
            int n = Math.min(m.getInt(KvmAbi.Cpuid2.NENT), max);
            for (int i = 0; i < n; i++) {
                if (m.getInt(KvmAbi.Cpuid2.ENTRIES + (long) i * KvmAbi.SIZEOF_KVM_CPUID_ENTRY2
                        + KvmAbi.Cpuid2.ENTRY_FLAGS) == -1) {
                    n = i;
                }
            }
            m.setInt(KvmAbi.Cpuid2.NENT, n);
            return X86State.readCpuid(m);
        }
    }

    public LapicState lapic() {
        try (Memory m = get(KvmAbi.KVM_GET_LAPIC, KvmAbi.SIZEOF_KVM_LAPIC_STATE, "KVM_GET_LAPIC")) {
            return new LapicState(m.getByteArray(0, KvmAbi.SIZEOF_KVM_LAPIC_STATE));
        }
    }

    public void setLapic(LapicState lapic) {
        setBytes(KvmAbi.KVM_SET_LAPIC, lapic.bytes(), "KVM_SET_LAPIC");
    }

    public MpState mpState() {
        try (Memory m = get(KvmAbi.KVM_GET_MP_STATE, KvmAbi.SIZEOF_KVM_MP_STATE, "KVM_GET_MP_STATE")) {
            return new MpState(m.getInt(0));
        }
    }

    public void setMpState(MpState state) {
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_MP_STATE)) {
            m.setInt(0, state.value());
            set(KvmAbi.KVM_SET_MP_STATE, m, "KVM_SET_MP_STATE");
        }
    }

    public VcpuEvents events() {
        try (Memory m = get(KvmAbi.KVM_GET_VCPU_EVENTS, KvmAbi.SIZEOF_KVM_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS")) {
            return new VcpuEvents(m.getByteArray(0, KvmAbi.SIZEOF_KVM_VCPU_EVENTS));
        }
    }

    public void setEvents(VcpuEvents events) {
        setBytes(KvmAbi.KVM_SET_VCPU_EVENTS, events.bytes(), "KVM_SET_VCPU_EVENTS");
    }

    public Xsave xsave() {
        try (Memory m = get(KvmAbi.KVM_GET_XSAVE, KvmAbi.SIZEOF_KVM_XSAVE, "KVM_GET_XSAVE")) {
            return new Xsave(m.getByteArray(0, KvmAbi.SIZEOF_KVM_XSAVE));
        }
    }

    public void setXsave(Xsave xsave) {
        setBytes(KvmAbi.KVM_SET_XSAVE, xsave.bytes(), "KVM_SET_XSAVE");
    }

    public Xcrs xcrs() {
        try (Memory m = get(KvmAbi.KVM_GET_XCRS, KvmAbi.SIZEOF_KVM_XCRS, "KVM_GET_XCRS")) {
            return X86State.readXcrs(m);
        }
    }

    public void setXcrs(Xcrs xcrs) {
        try (Memory m = new Memory(KvmAbi.SIZEOF_KVM_XCRS)) {
            X86State.writeXcrs(m, xcrs);
            set(KvmAbi.KVM_SET_XCRS, m, "KVM_SET_XCRS");
        }
    }

    private Memory get(long request, int size, String name) {
        checkOpen();
        Memory m = new Memory(size);
        m.clear();
        try {
            Sys.ioctl(fd, request, m, name + " (vCPU " + id + ")");
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    private void set(long request, Memory m, String name) {
        checkOpen();
        Sys.ioctl(fd, request, m, name + " (vCPU " + id + ")");
    }

    private void setBytes(long request, byte[] bytes, String name) {
        try (Memory m = new Memory(bytes.length)) {
            m.write(0, bytes, 0, bytes.length);
            set(request, m, name);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new HypervisorException("vCPU " + id + " is closed");
        }
    }

    /** Unmaps kvm_run and closes the vCPU fd. Not while another thread is inside {@link #run()}. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            LibC.munmap(run, runSize);
        } catch (LastErrorException e) {
            HypervisorException failure = Sys.failure("munmap(kvm_run of vCPU " + id + ")", e);
            try {
                Sys.close(fd, "vcpu " + id);
            } catch (RuntimeException closeFailure) {
                failure.addSuppressed(closeFailure);
            }
            throw failure;
        }
        Sys.close(fd, "vcpu " + id);
    }
}
