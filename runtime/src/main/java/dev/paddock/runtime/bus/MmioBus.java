package dev.paddock.runtime.bus;

import dev.paddock.hypervisor.VcpuExit;

/**
 * Guest-physical addresses that no RAM backs (for Paddock, the 32-bit MMIO hole from
 * {@code Layout.MMIO_HOLE_START}). Unclaimed addresses read as zeros.
 */
public final class MmioBus extends AddressSpace {

    public MmioBus() {
        super("MMIO", (byte) 0);
    }

    /** Serves an MMIO exit of 1 to 8 bytes. */
    public void dispatch(VcpuExit.Mmio mmio) {
        // GUEST-CONTROLLED: the length (1..8) was checked by KvmVcpu against kvm_run's 8-byte data field.
        if (mmio.isWrite()) {
            write(mmio.address(), mmio.data().bytes());
        } else {
            byte[] data = new byte[mmio.length()];
            read(mmio.address(), data);
            mmio.data().setBytes(data);
        }
    }
}
