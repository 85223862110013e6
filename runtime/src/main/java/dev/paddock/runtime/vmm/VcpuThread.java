package dev.paddock.runtime.vmm;

import dev.paddock.hypervisor.HypervisorException;
import dev.paddock.hypervisor.VcpuExit;
import dev.paddock.hypervisor.linux.KvmVcpu;
import dev.paddock.runtime.bus.MmioBus;
import dev.paddock.runtime.bus.PioBus;

/**
 * One vCPU's platform thread: KVM_RUN in a loop, port and MMIO exits served synchronously against the buses
 * (device register accesses never block), everything else turned into a stop of the VM. Between runs it obeys
 * the VM's run control: park while paused, leave when stopping. A kick (signal + immediate_exit) brings it out
 * of KVM_RUN to look.
 */
final class VcpuThread implements Runnable {
    /** EAGAIN: KVM_RUN on an AP that was waiting for INIT/SIPI and just received them; run again (kvm x86.c). */
    private static final int EAGAIN = 11;

    private final MicroVm vm;
    private final KvmVcpu vcpu;
    private final PioBus pio;
    private final MmioBus mmio;
    /** Exits served, and the latest: read by {@link #describe} on other threads, for diagnostics only. */
    private volatile long exits;
    private volatile VcpuExit lastExit;

    VcpuThread(MicroVm vm, KvmVcpu vcpu, PioBus pio, MmioBus mmio) {
        this.vm = vm;
        this.vcpu = vcpu;
        this.pio = pio;
        this.mmio = mmio;
    }

    @Override
    public void run() {
        try {
            while (vm.awaitRunPermission()) {
                VcpuExit exit;
                try {
                    exit = vcpu.run();
                } catch (HypervisorException e) {
                    if (e.errno() == EAGAIN) {
                        continue;
                    }
                    throw e;
                }
                exits++; // only this thread writes it
                lastExit = exit;
                VmStop stop = handle(exit);
                if (stop != null) {
                    vm.requestStop(stop);
                }
            }
        } catch (RuntimeException | Error e) {
            vm.requestStop(new VmStop(StopReason.INTERNAL_ERROR, "vCPU " + vcpu.id() + ": " + describe(e)));
        } finally {
            vm.vcpuThreadExited();
        }
    }

    /** "vCPU n: N exits, the latest X", for diagnostics; any thread. */
    String describe() {
        VcpuExit last = lastExit;
        // Never the exit's data: it is a view of the vCPU's kvm_run page, which the next KVM_RUN rewrites.
        String what;
        if (last == null) {
            what = "none";
        } else if (last instanceof VcpuExit.Io io) {
            what = "I/O port 0x%x (%s, %d bytes)".formatted(io.port(), io.direction(), io.size());
        } else if (last instanceof VcpuExit.Mmio m) {
            what = "MMIO 0x%x (%s, %d bytes)".formatted(m.address(), m.isWrite() ? "write" : "read", m.length());
        } else {
            what = last.getClass().getSimpleName();
        }
        return "vCPU %d: %d exits, the latest %s".formatted(vcpu.id(), exits, what);
    }

    /** Serves an exit; returns the stop it means, or null to keep running. */
    private VmStop handle(VcpuExit exit) {
        if (exit instanceof VcpuExit.Io io) {
            pio.dispatch(io);
            return null;
        }
        if (exit instanceof VcpuExit.Mmio m) {
            mmio.dispatch(m);
            return null;
        }
        if (exit instanceof VcpuExit.Interrupted) {
            return null; // a kick: awaitRunPermission() decides what comes next
        }
        if (exit instanceof VcpuExit.Shutdown) {
            return new VmStop(StopReason.TRIPLE_FAULT, "vCPU %d shut down (KVM_EXIT_SHUTDOWN) at RIP 0x%x"
                    .formatted(vcpu.id(), ripOrMinusOne()));
        }
        if (exit instanceof VcpuExit.SystemEvent e) {
            return switch (e.type()) {
                case VcpuExit.SystemEvent.SHUTDOWN -> new VmStop(StopReason.GUEST_POWEROFF,
                        "KVM_SYSTEM_EVENT_SHUTDOWN from vCPU " + vcpu.id());
                case VcpuExit.SystemEvent.RESET -> new VmStop(StopReason.GUEST_RESET,
                        "KVM_SYSTEM_EVENT_RESET from vCPU " + vcpu.id());
                default -> new VmStop(StopReason.INTERNAL_ERROR, "KVM_SYSTEM_EVENT type %d (%s) from vCPU %d, data %s"
                        .formatted(e.type(), e.type() == VcpuExit.SystemEvent.CRASH ? "guest crash" : "unknown",
                                vcpu.id(), e.data()));
            };
        }
        if (exit instanceof VcpuExit.InternalError e) {
            return new VmStop(StopReason.INTERNAL_ERROR, ("KVM_EXIT_INTERNAL_ERROR on vCPU %d, suberror %d, data %s"
                    + " at RIP 0x%x (suberror 1 = instruction emulation failed)").formatted(vcpu.id(), e.suberror(),
                    hex(e.data()), ripOrMinusOne()));
        }
        if (exit instanceof VcpuExit.FailEntry e) {
            return new VmStop(StopReason.INTERNAL_ERROR, "KVM_EXIT_FAIL_ENTRY on vCPU %d: hardware reason 0x%x, cpu %d"
                    .formatted(vcpu.id(), e.hardwareReason(), e.cpu()));
        }
        if (exit instanceof VcpuExit.Hlt) {
            // With the in-kernel irqchip KVM handles HLT itself; seeing one means the VM was set up without it.
            return new VmStop(StopReason.INTERNAL_ERROR, ("vCPU %d exited on HLT, which the in-kernel irqchip"
                    + " should have handled").formatted(vcpu.id()));
        }
        if (exit instanceof VcpuExit.Unknown u) {
            return new VmStop(StopReason.INTERNAL_ERROR, "vCPU %d: unhandled KVM exit reason %d (hardware reason 0x%x)"
                    .formatted(vcpu.id(), u.reason(), u.hardwareReason()));
        }
        return new VmStop(StopReason.INTERNAL_ERROR, "vCPU " + vcpu.id() + ": unhandled exit " + exit);
    }

    private long ripOrMinusOne() {
        try {
            return vcpu.regs().rip();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private static String hex(java.util.List<Long> data) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < data.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append("0x").append(Long.toHexString(data.get(i)));
        }
        return sb.append(']').toString();
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
