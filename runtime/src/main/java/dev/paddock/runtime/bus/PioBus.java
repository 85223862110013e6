package dev.paddock.runtime.bus;

import dev.paddock.hypervisor.ExitData;
import dev.paddock.hypervisor.VcpuExit;

/**
 * The x86 port I/O space (ports 0–0xFFFF). Unclaimed ports read as all ones, as on a PC where nothing drives
 * the data lines (the 8250 and i8042 probes in Linux rely on that to see "no device").
 */
public final class PioBus extends AddressSpace {
    /** The x86 I/O address space is 64 KiB (Intel SDM Vol. 1 §19.2). */
    public static final int PORT_SPACE_SIZE = 0x10000;

    public PioBus() {
        super("port I/O", (byte) 0xFF);
    }

    @Override
    void checkAddressable(BusRange range) {
        if (range.end() > PORT_SPACE_SIZE) {
            throw new IllegalArgumentException("cannot map %s on the port I/O bus: ports end at 0xffff"
                    .formatted(range));
        }
    }

    /**
     * Serves a port I/O exit: one access of {@code size} bytes, repeated {@code count} times for a string
     * instruction (INS/OUTS with REP), each repeat to the same port.
     */
    public void dispatch(VcpuExit.Io io) {
        ExitData data = io.data();
        int size = io.size();
        // GUEST-CONTROLLED: size and count come from the guest's instruction and RCX. KvmVcpu has already checked
        // that size × count bytes lie inside the kvm_run page, so the buffers below are at most one page.
        int count = io.count();
        if (io.isWrite()) {
            byte[] all = data.bytes();
            if (count == 1) {
                write(io.port(), all);
                return;
            }
            byte[] one = new byte[size];
            for (int i = 0; i < count; i++) {
                System.arraycopy(all, i * size, one, 0, size);
                write(io.port(), one);
            }
        } else {
            byte[] all = new byte[size * count];
            if (count == 1) {
                read(io.port(), all);
            } else {
                byte[] one = new byte[size];
                for (int i = 0; i < count; i++) {
                    read(io.port(), one);
                    System.arraycopy(one, 0, all, i * size, size);
                }
            }
            data.setBytes(all);
        }
    }
}
