package dev.paddock.runtime.boot;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.memory.GuestRegion;
import dev.paddock.runtime.arch.x86.Layout;

/** The checks every loader makes against guest RAM before it writes a byte there. */
final class GuestRam {
    private GuestRam() {}

    /** One past the last byte of the RAM region that starts at 0 (low RAM, below the MMIO hole). */
    static long lowRamEnd(GuestMemory memory) {
        for (GuestRegion r : memory.regions()) {
            if (r.guestAddress() == 0) {
                return r.end();
            }
        }
        throw new BootException("guest memory has no RAM region at address 0 (regions: %s); x86 guests need low RAM"
                .formatted(memory.regions()));
    }

    /** Throws naming {@code what} and both numbers unless [start, start+length) is one RAM region. */
    static void requireRam(GuestMemory memory, long start, long length, String what) {
        if (start < 0 || length < 0 || start + length < start || !memory.isValidRange(start, length)) {
            throw new BootException("%s needs guest RAM [0x%x, 0x%x) (%d bytes) but the guest has %s of RAM in %s; "
                    .formatted(what, start, start + length, length, mib(memory.size()), memory.regions())
                    + "give the VM more memory or use a smaller image");
        }
    }

    static String mib(long bytes) {
        return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes + " bytes";
    }

    /** Zeroes [start, start+length), which the caller has checked is RAM. */
    static void zero(GuestMemory memory, long start, long length) {
        byte[] zeros = new byte[(int) Math.min(length, 1 << 16)];
        for (long done = 0; done < length; done += zeros.length) {
            int n = (int) Math.min(zeros.length, length - done);
            memory.write(start + done, zeros, 0, n);
        }
    }

    /** The highest address below which low RAM may be used by loaders: the smaller of low RAM's end and the hole. */
    static long lowRamLimit(GuestMemory memory) {
        return Math.min(lowRamEnd(memory), Layout.MMIO_HOLE_START);
    }
}
