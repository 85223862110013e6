package dev.paddock.runtime.bus;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/**
 * Address ranges mapped to devices, looked up by binary search. Devices are inserted while the VM is being
 * assembled and looked up concurrently by every vCPU thread afterwards, so the table is copy-on-write: readers
 * see an immutable sorted array and take no lock.
 *
 * <p>An access to an address no device claims (or one that runs past the end of a device's range) reads
 * {@link #unclaimedFill} bytes and drops a write; both are counted, never thrown: the guest probes ports and
 * addresses that nothing decodes all the time (Linux's 8250 and PNP probes, for a start).
 */
abstract class AddressSpace {
    private static final BusRange[] EMPTY = new BusRange[0];

    private final String spaceName;
    private final byte unclaimedFill;
    private volatile BusRange[] ranges = EMPTY;
    private final LongAdder unclaimedReads = new LongAdder();
    private final LongAdder unclaimedWrites = new LongAdder();
    private volatile long lastUnclaimedAddress = -1;

    AddressSpace(String spaceName, byte unclaimedFill) {
        this.spaceName = spaceName;
        this.unclaimedFill = unclaimedFill;
    }

    /**
     * Maps {@code device} at {@code [base, base + length)}.
     *
     * @throws IllegalArgumentException when the range overlaps one already mapped; the message names both
     */
    public synchronized BusRange insert(long base, long length, String name, BusDevice device) {
        BusRange added = new BusRange(base, length, name, device);
        checkAddressable(added);
        BusRange[] current = ranges;
        for (BusRange r : current) {
            if (r.overlaps(added)) {
                throw new IllegalArgumentException(("cannot map %s on the %s bus: it overlaps %s. Give one of them"
                        + " another address").formatted(added, spaceName, r));
            }
        }
        BusRange[] next = Arrays.copyOf(current, current.length + 1);
        next[current.length] = added;
        Arrays.sort(next, (a, b) -> Long.compareUnsigned(a.base(), b.base()));
        ranges = next;
        return added;
    }

    /** Subclasses refuse ranges their address space cannot hold (ports above 0xFFFF). */
    void checkAddressable(BusRange range) {
    }

    /** The mapped ranges, in address order. */
    public List<BusRange> ranges() {
        return List.of(ranges);
    }

    /** The range that holds {@code address}, if any. */
    public Optional<BusRange> find(long address) {
        return Optional.ofNullable(lookup(address));
    }

    private BusRange lookup(long address) {
        BusRange[] rs = ranges;
        int lo = 0;
        int hi = rs.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            BusRange r = rs[mid];
            if (address < r.base()) {
                hi = mid - 1;
            } else if (address >= r.end()) {
                lo = mid + 1;
            } else {
                return r;
            }
        }
        return null;
    }

    /** Reads {@code data.length} bytes at {@code address} from the device there; unclaimed reads fill. */
    public void read(long address, byte[] data) {
        BusRange r = lookup(address);
        // GUEST-CONTROLLED: address and width come from the guest's instruction. An access that starts inside a
        // device's range but runs past its end is not the device's: treat it as unclaimed.
        if (r == null || !r.covers(address, data.length)) {
            Arrays.fill(data, unclaimedFill);
            unclaimedReads.increment();
            lastUnclaimedAddress = address;
            return;
        }
        r.device().read(address - r.base(), data);
    }

    /** Writes {@code data} at {@code address} to the device there; unclaimed writes are dropped. */
    public void write(long address, byte[] data) {
        BusRange r = lookup(address);
        // GUEST-CONTROLLED: as in read().
        if (r == null || !r.covers(address, data.length)) {
            unclaimedWrites.increment();
            lastUnclaimedAddress = address;
            return;
        }
        r.device().write(address - r.base(), data);
    }

    /** Reads no device answered (each access counts once, whatever its width or repeat count). */
    public long unclaimedReads() {
        return unclaimedReads.sum();
    }

    /** Writes no device took. */
    public long unclaimedWrites() {
        return unclaimedWrites.sum();
    }

    /** The address of the most recent unclaimed access, or −1 when there was none: a hint for diagnostics. */
    public long lastUnclaimedAddress() {
        return lastUnclaimedAddress;
    }
}
