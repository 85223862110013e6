package dev.paddock.hypervisor;

import java.util.List;

/**
 * Why a vCPU's {@code run()} returned, decoded from the hypervisor's exit record.
 *
 * <p>Backend-neutral: KVM fills it from {@code struct kvm_run}; another backend would map its own exit
 * reasons onto the same cases. For {@link Io} and {@link Mmio} the {@link ExitData} is a window onto the
 * exit record itself: a handler reads what the guest wrote, or supplies what the guest reads, and the
 * window is valid only until the next {@code run()} on the same vCPU.
 */
public sealed interface VcpuExit {

    /** A port I/O instruction (IN/OUT, or INS/OUTS with {@code count} > 1). */
    record Io(int port, int size, Direction direction, int count, ExitData data) implements VcpuExit {
        public boolean isWrite() {
            return direction == Direction.OUT;
        }
    }

    /** A guest access to an address that no memory region backs. {@code length} is 1 to 8 bytes. */
    record Mmio(long address, int length, boolean isWrite, ExitData data) implements VcpuExit {
    }

    /** The guest executed HLT. (With an in-kernel irqchip the kernel handles HLT and this never appears.) */
    record Hlt() implements VcpuExit {
    }

    /** The guest shut down, typically after a triple fault. */
    record Shutdown() implements VcpuExit {
    }

    /** The hardware refused to enter the guest; {@code hardwareReason} is the VMX/SVM failure code. */
    record FailEntry(long hardwareReason, int cpu) implements VcpuExit {
    }

    /** The hypervisor gave up on the guest (e.g. an instruction it cannot emulate). */
    record InternalError(int suberror, List<Long> data) implements VcpuExit {
        public InternalError {
            data = List.copyOf(data);
        }
    }

    /** A platform event: shutdown, reset, crash (KVM_SYSTEM_EVENT_* numbering). */
    record SystemEvent(int type, List<Long> data) implements VcpuExit {
        public static final int SHUTDOWN = 1;
        public static final int RESET = 2;
        public static final int CRASH = 3;

        public SystemEvent {
            data = List.copyOf(data);
        }
    }

    /** {@code run()} returned without a guest exit: the vCPU was kicked, or a signal arrived. */
    record Interrupted() implements VcpuExit {
    }

    /** An exit reason this binding does not decode; {@code reason} is the backend's raw number. */
    record Unknown(int reason, long hardwareReason) implements VcpuExit {
    }

    enum Direction {
        IN,
        OUT
    }
}
