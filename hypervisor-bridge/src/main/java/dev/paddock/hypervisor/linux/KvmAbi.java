package dev.paddock.hypervisor.linux;

/**
 * The KVM userspace ABI for x86_64: ioctl numbers, exit reasons and struct layouts.
 *
 * <p>Every value here comes from the Linux UAPI headers {@code <linux/kvm.h>},
 * {@code <asm/kvm.h>} (x86) and {@code <asm-generic/ioctl.h>}; {@code KvmLayoutTest} compiles a C
 * program against the system headers and checks each number, size and offset below against
 * {@code sizeof}/{@code offsetof}. Layouts are offset constants read and written through JNA
 * {@code Pointer.getX/setX}: no reflective {@code Structure} mapping on the vCPU hot path.
 */
final class KvmAbi {
    private KvmAbi() {
        throw new AssertionError("no instances");
    }

    // <asm-generic/ioctl.h>: nr in bits 0-7, type in 8-15, size in 16-29, direction in 30-31.
    private static final int IOC_NONE = 0;
    private static final int IOC_WRITE = 1;
    private static final int IOC_READ = 2;

    static long ioc(int dir, int type, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) type << 8) | nr;
    }

    static long io(int nr) {
        return ioc(IOC_NONE, KVMIO, nr, 0);
    }

    static long ior(int nr, int size) {
        return ioc(IOC_READ, KVMIO, nr, size);
    }

    static long iow(int nr, int size) {
        return ioc(IOC_WRITE, KVMIO, nr, size);
    }

    static long iowr(int nr, int size) {
        return ioc(IOC_READ | IOC_WRITE, KVMIO, nr, size);
    }

    /** {@code #define KVMIO 0xAE}. */
    static final int KVMIO = 0xAE;

    /** {@code KVM_API_VERSION}: the only version the kernel has ever reported since 2.6.22. */
    static final int KVM_API_VERSION = 12;

    // ---- struct sizes (x86_64) ----
    static final int SIZEOF_KVM_REGS = 144;
    static final int SIZEOF_KVM_SREGS = 312;
    static final int SIZEOF_KVM_FPU = 416;
    static final int SIZEOF_KVM_MSRS = 8;
    static final int SIZEOF_KVM_MSR_ENTRY = 16;
    static final int SIZEOF_KVM_MSR_LIST = 4;
    static final int SIZEOF_KVM_CPUID2 = 8;
    static final int SIZEOF_KVM_CPUID_ENTRY2 = 40;
    static final int SIZEOF_KVM_LAPIC_STATE = 1024;
    static final int SIZEOF_KVM_MP_STATE = 4;
    static final int SIZEOF_KVM_VCPU_EVENTS = 64;
    static final int SIZEOF_KVM_XSAVE = 4096;
    static final int SIZEOF_KVM_XCRS = 392;
    static final int SIZEOF_KVM_XCR = 16;
    static final int SIZEOF_KVM_USERSPACE_MEMORY_REGION = 32;
    static final int SIZEOF_KVM_IRQFD = 32;
    static final int SIZEOF_KVM_IOEVENTFD = 64;
    static final int SIZEOF_KVM_PIT_CONFIG = 64;
    static final int SIZEOF_KVM_CLOCK_DATA = 48;
    static final int SIZEOF_KVM_DIRTY_LOG = 16;
    static final int SIZEOF_KVM_IRQ_LEVEL = 8;
    static final int SIZEOF_KVM_SEGMENT = 24;
    static final int SIZEOF_KVM_DTABLE = 16;

    // ---- ioctls on /dev/kvm ----
    static final long KVM_GET_API_VERSION = io(0x00);
    static final long KVM_CREATE_VM = io(0x01);
    static final long KVM_GET_MSR_INDEX_LIST = iowr(0x02, SIZEOF_KVM_MSR_LIST);
    static final long KVM_CHECK_EXTENSION = io(0x03);
    static final long KVM_GET_VCPU_MMAP_SIZE = io(0x04);
    static final long KVM_GET_SUPPORTED_CPUID = iowr(0x05, SIZEOF_KVM_CPUID2);

    // ---- ioctls on a VM fd ----
    static final long KVM_CREATE_VCPU = io(0x41);
    static final long KVM_GET_DIRTY_LOG = iow(0x42, SIZEOF_KVM_DIRTY_LOG);
    static final long KVM_SET_USER_MEMORY_REGION = iow(0x46, SIZEOF_KVM_USERSPACE_MEMORY_REGION);
    static final long KVM_SET_TSS_ADDR = io(0x47);
    static final long KVM_SET_IDENTITY_MAP_ADDR = iow(0x48, 8);
    static final long KVM_CREATE_IRQCHIP = io(0x60);
    static final long KVM_IRQ_LINE = iow(0x61, SIZEOF_KVM_IRQ_LEVEL);
    static final long KVM_IRQFD = iow(0x76, SIZEOF_KVM_IRQFD);
    static final long KVM_CREATE_PIT2 = iow(0x77, SIZEOF_KVM_PIT_CONFIG);
    static final long KVM_IOEVENTFD = iow(0x79, SIZEOF_KVM_IOEVENTFD);
    static final long KVM_SET_CLOCK = iow(0x7b, SIZEOF_KVM_CLOCK_DATA);
    static final long KVM_GET_CLOCK = ior(0x7c, SIZEOF_KVM_CLOCK_DATA);

    // ---- ioctls on a vCPU fd ----
    static final long KVM_RUN = io(0x80);
    static final long KVM_GET_REGS = ior(0x81, SIZEOF_KVM_REGS);
    static final long KVM_SET_REGS = iow(0x82, SIZEOF_KVM_REGS);
    static final long KVM_GET_SREGS = ior(0x83, SIZEOF_KVM_SREGS);
    static final long KVM_SET_SREGS = iow(0x84, SIZEOF_KVM_SREGS);
    static final long KVM_GET_MSRS = iowr(0x88, SIZEOF_KVM_MSRS);
    static final long KVM_SET_MSRS = iow(0x89, SIZEOF_KVM_MSRS);
    static final long KVM_GET_FPU = ior(0x8c, SIZEOF_KVM_FPU);
    static final long KVM_SET_FPU = iow(0x8d, SIZEOF_KVM_FPU);
    static final long KVM_GET_LAPIC = ior(0x8e, SIZEOF_KVM_LAPIC_STATE);
    static final long KVM_SET_LAPIC = iow(0x8f, SIZEOF_KVM_LAPIC_STATE);
    static final long KVM_SET_CPUID2 = iow(0x90, SIZEOF_KVM_CPUID2);
    static final long KVM_GET_CPUID2 = iowr(0x91, SIZEOF_KVM_CPUID2);
    static final long KVM_GET_MP_STATE = ior(0x98, SIZEOF_KVM_MP_STATE);
    static final long KVM_SET_MP_STATE = iow(0x99, SIZEOF_KVM_MP_STATE);
    static final long KVM_GET_VCPU_EVENTS = ior(0x9f, SIZEOF_KVM_VCPU_EVENTS);
    static final long KVM_SET_VCPU_EVENTS = iow(0xa0, SIZEOF_KVM_VCPU_EVENTS);
    static final long KVM_GET_XSAVE = ior(0xa4, SIZEOF_KVM_XSAVE);
    static final long KVM_SET_XSAVE = iow(0xa5, SIZEOF_KVM_XSAVE);
    static final long KVM_GET_XCRS = ior(0xa6, SIZEOF_KVM_XCRS);
    static final long KVM_SET_XCRS = iow(0xa7, SIZEOF_KVM_XCRS);

    // ---- exit reasons (KVM_EXIT_*) ----
    static final int KVM_EXIT_UNKNOWN = 0;
    static final int KVM_EXIT_EXCEPTION = 1;
    static final int KVM_EXIT_IO = 2;
    static final int KVM_EXIT_HYPERCALL = 3;
    static final int KVM_EXIT_DEBUG = 4;
    static final int KVM_EXIT_HLT = 5;
    static final int KVM_EXIT_MMIO = 6;
    static final int KVM_EXIT_IRQ_WINDOW_OPEN = 7;
    static final int KVM_EXIT_SHUTDOWN = 8;
    static final int KVM_EXIT_FAIL_ENTRY = 9;
    static final int KVM_EXIT_INTR = 10;
    static final int KVM_EXIT_INTERNAL_ERROR = 17;
    static final int KVM_EXIT_SYSTEM_EVENT = 24;
    static final int KVM_EXIT_IO_IN = 0;
    static final int KVM_EXIT_IO_OUT = 1;

    // ---- flags ----
    /** kvm_userspace_memory_region.flags. */
    static final int KVM_MEM_LOG_DIRTY_PAGES = 1;
    static final int KVM_MEM_READONLY = 2;
    /** kvm_irqfd.flags. */
    static final int KVM_IRQFD_FLAG_DEASSIGN = 1;
    /** kvm_ioeventfd.flags: 1 << kvm_ioeventfd_flag_nr_{datamatch,pio,deassign}. */
    static final int KVM_IOEVENTFD_FLAG_DATAMATCH = 1;
    static final int KVM_IOEVENTFD_FLAG_PIO = 2;
    static final int KVM_IOEVENTFD_FLAG_DEASSIGN = 4;

    /** struct kvm_run. Only the fields Paddock reads; the exit union starts at 32 on x86_64. */
    static final class Run {
        static final int REQUEST_INTERRUPT_WINDOW = 0;
        static final int IMMEDIATE_EXIT = 1;
        static final int EXIT_REASON = 8;
        static final int READY_FOR_INTERRUPT_INJECTION = 12;
        static final int IF_FLAG = 13;
        static final int FLAGS = 14;
        static final int CR8 = 16;
        static final int APIC_BASE = 24;
        static final int HW_HARDWARE_EXIT_REASON = 32;
        static final int FAIL_ENTRY_HARDWARE_ENTRY_FAILURE_REASON = 32;
        static final int FAIL_ENTRY_CPU = 40;
        static final int IO_DIRECTION = 32;
        static final int IO_SIZE = 33;
        static final int IO_PORT = 34;
        static final int IO_COUNT = 36;
        static final int IO_DATA_OFFSET = 40;
        static final int MMIO_PHYS_ADDR = 32;
        static final int MMIO_DATA = 40;
        static final int MMIO_LEN = 48;
        static final int MMIO_IS_WRITE = 52;
        static final int INTERNAL_SUBERROR = 32;
        static final int INTERNAL_NDATA = 36;
        static final int INTERNAL_DATA = 40;
        static final int SYSTEM_EVENT_TYPE = 32;
        static final int SYSTEM_EVENT_NDATA = 36;
        static final int SYSTEM_EVENT_DATA = 40;
        /** Both internal.data[] and system_event.data[] hold at most 16 u64 values. */
        static final int MAX_EXIT_DATA = 16;

        private Run() {
        }
    }

    /** struct kvm_regs: 18 u64 in the order rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags. */
    static final class Regs {
        static final int RAX = 0;
        static final int RIP = 128;
        static final int RFLAGS = 136;

        private Regs() {
        }
    }

    /** struct kvm_segment and struct kvm_dtable. */
    static final class Segment {
        static final int BASE = 0;
        static final int LIMIT = 8;
        static final int SELECTOR = 12;
        static final int TYPE = 14;
        static final int PRESENT = 15;
        static final int DPL = 16;
        static final int DB = 17;
        static final int S = 18;
        static final int L = 19;
        static final int G = 20;
        static final int AVL = 21;
        static final int UNUSABLE = 22;
        static final int DTABLE_BASE = 0;
        static final int DTABLE_LIMIT = 8;

        private Segment() {
        }
    }

    /** struct kvm_sregs: cs ds es fs gs ss tr ldt (kvm_segment), gdt idt (kvm_dtable), control registers. */
    static final class Sregs {
        static final int CS = 0;
        static final int DS = 24;
        static final int ES = 48;
        static final int FS = 72;
        static final int GS = 96;
        static final int SS = 120;
        static final int TR = 144;
        static final int LDT = 168;
        static final int GDT = 192;
        static final int IDT = 208;
        static final int CR0 = 224;
        static final int CR2 = 232;
        static final int CR3 = 240;
        static final int CR4 = 248;
        static final int CR8 = 256;
        static final int EFER = 264;
        static final int APIC_BASE = 272;
        /** u64 interrupt_bitmap[(KVM_NR_INTERRUPTS + 63) / 64], KVM_NR_INTERRUPTS = 256. */
        static final int INTERRUPT_BITMAP = 280;
        static final int INTERRUPT_BITMAP_WORDS = 4;

        private Sregs() {
        }
    }

    /** struct kvm_fpu. */
    static final class Fpu {
        static final int FPR = 0;
        static final int FCW = 128;
        static final int FSW = 130;
        static final int FTWX = 132;
        static final int LAST_OPCODE = 134;
        static final int LAST_IP = 136;
        static final int LAST_DP = 144;
        static final int XMM = 152;
        static final int MXCSR = 408;

        private Fpu() {
        }
    }

    /** struct kvm_msrs {u32 nmsrs; u32 pad; struct kvm_msr_entry entries[];}, entry {u32 index; u32 reserved; u64 data;}. */
    static final class Msrs {
        static final int NMSRS = 0;
        static final int ENTRIES = 8;
        static final int ENTRY_INDEX = 0;
        static final int ENTRY_DATA = 8;

        private Msrs() {
        }
    }

    /** struct kvm_cpuid2 {u32 nent; u32 padding; struct kvm_cpuid_entry2 entries[];}. */
    static final class Cpuid2 {
        static final int NENT = 0;
        static final int ENTRIES = 8;
        static final int ENTRY_FUNCTION = 0;
        static final int ENTRY_INDEX = 4;
        static final int ENTRY_FLAGS = 8;
        static final int ENTRY_EAX = 12;
        static final int ENTRY_EBX = 16;
        static final int ENTRY_ECX = 20;
        static final int ENTRY_EDX = 24;
        /** KVM_CPUID_FLAG_SIGNIFCANT_INDEX (sic, the header's spelling). */
        static final int FLAG_SIGNIFICANT_INDEX = 1;

        private Cpuid2() {
        }
    }

    /** struct kvm_vcpu_events (asm/kvm.h). */
    static final class VcpuEvents {
        static final int EXCEPTION_INJECTED = 0;
        static final int EXCEPTION_NR = 1;
        static final int EXCEPTION_HAS_ERROR_CODE = 2;
        static final int EXCEPTION_PENDING = 3;
        static final int EXCEPTION_ERROR_CODE = 4;
        static final int INTERRUPT_INJECTED = 8;
        static final int INTERRUPT_NR = 9;
        static final int INTERRUPT_SOFT = 10;
        static final int INTERRUPT_SHADOW = 11;
        static final int NMI_INJECTED = 12;
        static final int NMI_PENDING = 13;
        static final int NMI_MASKED = 14;
        static final int SIPI_VECTOR = 16;
        static final int FLAGS = 20;
        static final int SMI_SMM = 24;
        static final int TRIPLE_FAULT_PENDING = 28;
        static final int EXCEPTION_HAS_PAYLOAD = 55;
        static final int EXCEPTION_PAYLOAD = 56;

        private VcpuEvents() {
        }
    }

    /** struct kvm_xcrs {u32 nr_xcrs; u32 flags; struct kvm_xcr xcrs[KVM_MAX_XCRS = 16]; u64 padding[16];}. */
    static final class Xcrs {
        static final int NR_XCRS = 0;
        static final int FLAGS = 4;
        static final int XCRS = 8;
        static final int XCR_XCR = 0;
        static final int XCR_VALUE = 8;
        static final int MAX_XCRS = 16;

        private Xcrs() {
        }
    }

    /** struct kvm_userspace_memory_region. */
    static final class MemoryRegion {
        static final int SLOT = 0;
        static final int FLAGS = 4;
        static final int GUEST_PHYS_ADDR = 8;
        static final int MEMORY_SIZE = 16;
        static final int USERSPACE_ADDR = 24;

        private MemoryRegion() {
        }
    }

    /** struct kvm_irqfd. */
    static final class Irqfd {
        static final int FD = 0;
        static final int GSI = 4;
        static final int FLAGS = 8;
        static final int RESAMPLEFD = 12;

        private Irqfd() {
        }
    }

    /** struct kvm_ioeventfd. */
    static final class Ioeventfd {
        static final int DATAMATCH = 0;
        static final int ADDR = 8;
        static final int LEN = 16;
        static final int FD = 20;
        static final int FLAGS = 24;

        private Ioeventfd() {
        }
    }

    /** struct kvm_pit_config {u32 flags; u32 pad[15];}. */
    static final class PitConfig {
        static final int FLAGS = 0;
        /** KVM_PIT_SPEAKER_DUMMY: PIT channel 2's speaker port reads back a dummy value. */
        static final int SPEAKER_DUMMY = 1;

        private PitConfig() {
        }
    }

    /** struct kvm_clock_data. */
    static final class ClockData {
        static final int CLOCK = 0;
        static final int FLAGS = 8;
        static final int REALTIME = 16;
        static final int HOST_TSC = 24;

        private ClockData() {
        }
    }

    /** struct kvm_dirty_log {u32 slot; u32 padding1; union {void *dirty_bitmap; u64 padding2;};}. */
    static final class DirtyLog {
        static final int SLOT = 0;
        static final int DIRTY_BITMAP = 8;

        private DirtyLog() {
        }
    }

    /** struct kvm_irq_level {union {u32 irq; s32 status;}; u32 level;}. */
    static final class IrqLevel {
        static final int IRQ = 0;
        static final int LEVEL = 4;

        private IrqLevel() {
        }
    }
}
