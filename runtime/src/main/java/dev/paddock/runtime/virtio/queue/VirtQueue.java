package dev.paddock.runtime.virtio.queue;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.memory.GuestMemoryException;
import java.util.ArrayList;
import java.util.List;

/**
 * The device side of one split virtqueue (virtio 1.2 §2.7), over guest memory the driver shares with us.
 *
 * <p>Built only by {@link #activate} from a checked {@link QueueLayout}, so the rings are known to lie
 * inside guest RAM. Everything the driver writes afterwards (available index, heads, descriptors) is
 * checked as it is read:
 * <ul>
 *   <li>a malformed <em>chain</em> (bad next index, loop, buffer outside RAM, readable after writable,
 *       bad indirect table) fails that request only: {@link #pop} returns it to the driver as used with
 *       length 0, counts it in {@link #malformedChains()} and goes on with the next one;</li>
 *   <li>a broken <em>ring</em> (available index more than a queue size ahead, head index out of range,
 *       ring memory gone) stops the queue: {@link #pop} throws {@link BrokenQueueException} once and then
 *       returns nothing; the device must enter NEEDS_RESET.</li>
 * </ul>
 *
 * <p>Ordering: {@code avail.idx} is read with acquire semantics before the ring entries it covers; used
 * entries are written before {@code used.idx} is published with release semantics (§2.7.13), and a full
 * fence separates that publication from reading the driver's interrupt-suppression flag (§2.7.10).
 *
 * <p>Threading: {@link #pop} runs on the device event loop; {@link #addUsed} may run on any thread (a
 * block device completes on its worker pool); {@link #retire} runs on a vCPU thread at device reset.
 * Every method takes this queue's monitor, held only for ring memory accesses, never for device I/O.
 * After {@link #retire} the queue never touches guest memory again: pops return nothing and late
 * completions are dropped, so a reset driver may reuse its ring memory at once.
 *
 * <p>VIRTIO_F_EVENT_IDX is not supported (the transport does not offer it), so {@code used_event} and
 * {@code avail_event} are never read or written.
 */
public final class VirtQueue {

    private final int index;
    private final GuestMemory memory;
    private final int size;
    private final long descriptorTable;
    private final long availableRing;
    private final long usedRing;
    private final boolean indirectDescriptors;

    // Guarded by this.
    private int nextAvailable;
    private int nextUsed;
    private boolean usedSinceInterrupt;
    private boolean retired;
    private boolean broken;
    private long malformedChains;
    private String lastError = "";

    private VirtQueue(int index, GuestMemory memory, QueueLayout layout, boolean indirectDescriptors) {
        this.index = index;
        this.memory = memory;
        this.size = layout.size();
        this.descriptorTable = layout.descriptorTable();
        this.availableRing = layout.availableRing();
        this.usedRing = layout.usedRing();
        this.indirectDescriptors = indirectDescriptors;
    }

    /**
     * Checks the driver's layout for queue {@code index} and returns the live queue.
     *
     * @param maxSize             the QueueNumMax the device offered for this queue
     * @param indirectDescriptors whether VIRTIO_F_INDIRECT_DESC was negotiated
     * @throws InvalidQueueException naming the field, its value and the rule when the layout is unusable
     */
    public static VirtQueue activate(int index, GuestMemory memory, QueueLayout layout, int maxSize,
                                     boolean indirectDescriptors) throws InvalidQueueException {
        int size = layout.size();
        // GUEST-CONTROLLED: QueueNum must be a power of two (§2.7: the ring index is taken modulo the size
        // by masking) and at most the QueueNumMax we offered.
        if (size <= 0 || size > maxSize || (size & (size - 1)) != 0) {
            throw new InvalidQueueException("queue %d: size %d is not a power of two in [1, %d]; the driver must write a QueueNum it was offered"
                    .formatted(index, size, maxSize));
        }
        // GUEST-CONTROLLED: each ring part aligned as §2.7 requires and inside one guest RAM region for its
        // whole length, so later accesses at computed offsets cannot leave RAM.
        checkPart(index, memory, "descriptor table", layout.descriptorTable(), SplitRing.descriptorTableBytes(size),
                SplitRing.DESCRIPTOR_TABLE_ALIGNMENT);
        checkPart(index, memory, "available ring", layout.availableRing(), SplitRing.availableRingBytes(size),
                SplitRing.AVAILABLE_RING_ALIGNMENT);
        checkPart(index, memory, "used ring", layout.usedRing(), SplitRing.usedRingBytes(size),
                SplitRing.USED_RING_ALIGNMENT);
        return new VirtQueue(index, memory, layout, indirectDescriptors);
    }

    private static void checkPart(int index, GuestMemory memory, String part, long address, long length, int alignment)
            throws InvalidQueueException {
        if ((address & (alignment - 1)) != 0) {
            throw new InvalidQueueException("queue %d: %s at 0x%x is not %d-byte aligned (virtio 1.2 §2.7)"
                    .formatted(index, part, address, alignment));
        }
        if (address < 0 || !memory.isValidRange(address, length)) {
            throw new InvalidQueueException("queue %d: %s [0x%x, +0x%x) is not inside guest RAM"
                    .formatted(index, part, address, length));
        }
    }

    public int index() {
        return index;
    }

    public int size() {
        return size;
    }

    /**
     * The next request the driver made available, or {@code null} when there is none (or the queue is
     * retired or broken). Malformed chains met on the way are completed with length 0 and skipped.
     *
     * @throws BrokenQueueException the first time the ring itself turns out to be broken
     */
    public synchronized DescriptorChain pop() throws BrokenQueueException {
        while (!retired && !broken) {
            int head;
            try {
                int availableIndex = memory.readShortAcquire(availableRing + SplitRing.AVAIL_IDX) & 0xFFFF;
                int pending = (availableIndex - nextAvailable) & 0xFFFF;
                if (pending == 0) {
                    return null;
                }
                // GUEST-CONTROLLED: the driver can never have more than a queue size of requests outstanding
                // (§2.7.6); a larger jump means avail.idx is garbage.
                if (pending > size) {
                    throw breakQueue("available index %d is %d entries ahead of the %d already taken, more than the queue size %d"
                            .formatted(availableIndex, pending, nextAvailable, size));
                }
                long slot = availableRing + SplitRing.AVAIL_RING + 2L * (nextAvailable & (size - 1));
                head = memory.readShort(slot) & 0xFFFF;
                nextAvailable = (nextAvailable + 1) & 0xFFFF;
                // GUEST-CONTROLLED: a head outside the table cannot even be returned in the used ring.
                if (head >= size) {
                    throw breakQueue("available ring entry %d names descriptor %d, outside the table of %d"
                            .formatted((nextAvailable - 1) & 0xFFFF, head, size));
                }
            } catch (GuestMemoryException e) {
                throw breakQueue("ring unreadable: " + e.getMessage());
            }
            try {
                return readChain(head);
            } catch (GuestMemoryException e) {
                throw breakQueue("descriptor table unreadable: " + e.getMessage());
            } catch (MalformedChainException e) {
                malformedChains++;
                lastError = "queue %d, chain at descriptor %d: %s".formatted(index, head, e.getMessage());
                if (!writeUsed(head, 0)) {
                    return null;
                }
            }
        }
        return null;
    }

    /**
     * Returns a request to the driver: {@code length} bytes were written into its writable buffers.
     *
     * @return false when the queue was retired (the device was reset) and the completion was dropped
     */
    public synchronized boolean addUsed(int head, int length) {
        if (head < 0 || head >= size) {
            throw new IllegalArgumentException("queue %d: head %d is outside the table of %d; only heads from pop() may be returned"
                    .formatted(index, head, size));
        }
        if (retired) {
            return false;
        }
        return writeUsed(head, length);
    }

    /**
     * True when buffers were used since the last call and the driver has not asked to go without
     * interrupts (VRING_AVAIL_F_NO_INTERRUPT). The caller then raises the used-buffer interrupt.
     */
    public synchronized boolean takeInterruptDue() {
        if (!usedSinceInterrupt || retired) {
            return false;
        }
        usedSinceInterrupt = false;
        try {
            // §2.7.10: the used index we just published must be visible before we read the driver's flag,
            // or we could miss its "interrupt me again" while it misses our new entries.
            memory.fullFence();
            int flags = memory.readShort(availableRing + SplitRing.AVAIL_FLAGS) & 0xFFFF;
            return (flags & SplitRing.AVAIL_F_NO_INTERRUPT) == 0;
        } catch (GuestMemoryException e) {
            broken = true;
            lastError = "queue %d: available ring flags unreadable: %s".formatted(index, e.getMessage());
            return false;
        }
    }

    /**
     * One line for diagnostics (a stalled stream, a hung exec): the driver's indices and flags as guest memory has
     * them now, against the device's own. {@code avail.idx} ahead of what was taken means requests wait for the
     * device; {@code used.idx} at ours with interrupts wanted means the driver was told of all of them.
     */
    public synchronized String describe() {
        StringBuilder sb = new StringBuilder("queue %d (size %d): taken %d".formatted(index, size, nextAvailable));
        try {
            int availableIndex = memory.readShortAcquire(availableRing + SplitRing.AVAIL_IDX) & 0xFFFF;
            int flags = memory.readShort(availableRing + SplitRing.AVAIL_FLAGS) & 0xFFFF;
            int usedIndex = memory.readShort(usedRing + SplitRing.USED_IDX) & 0xFFFF;
            sb.append(", avail.idx %d (%d waiting), avail.flags 0x%x, used.idx %d (ours %d)"
                    .formatted(availableIndex, (availableIndex - nextAvailable) & 0xFFFF, flags, usedIndex, nextUsed));
        } catch (GuestMemoryException e) {
            sb.append(", rings unreadable: ").append(e.getMessage());
        }
        sb.append(usedSinceInterrupt ? ", used since the last interrupt" : "");
        sb.append(retired ? ", retired" : "").append(broken ? ", BROKEN" : "");
        if (malformedChains > 0) {
            sb.append(", ").append(malformedChains).append(" malformed chains");
        }
        if (!lastError.isEmpty()) {
            sb.append(", last error: ").append(lastError);
        }
        return sb.toString();
    }

    /** Called at device reset: the queue never touches guest memory again. */
    public synchronized void retire() {
        retired = true;
    }

    public synchronized boolean isRetired() {
        return retired;
    }

    public synchronized boolean isBroken() {
        return broken;
    }

    /** Requests failed because their chain was malformed, since activation. */
    public synchronized long malformedChains() {
        return malformedChains;
    }

    /** The last malformed-chain or broken-ring reason, or "" when none; for metrics and logs. */
    public synchronized String lastError() {
        return lastError;
    }

    private BrokenQueueException breakQueue(String reason) {
        broken = true;
        lastError = "queue %d: %s".formatted(index, reason);
        return new BrokenQueueException(lastError + "; the driver must reset the device");
    }

    private boolean writeUsed(int head, int length) {
        try {
            long element = usedRing + SplitRing.USED_RING + (long) SplitRing.USED_ELEMENT_SIZE * (nextUsed & (size - 1));
            memory.writeInt(element, head);
            memory.writeInt(element + 4, length);
            nextUsed = (nextUsed + 1) & 0xFFFF;
            memory.writeShortRelease(usedRing + SplitRing.USED_IDX, (short) nextUsed);
            usedSinceInterrupt = true;
            return true;
        } catch (GuestMemoryException e) {
            broken = true;
            lastError = "queue %d: used ring unwritable: %s".formatted(index, e.getMessage());
            return false;
        }
    }

    private DescriptorChain readChain(int head) throws MalformedChainException {
        List<GuestBuffer> readable = new ArrayList<>(2);
        List<GuestBuffer> writable = new ArrayList<>(2);
        long table = descriptorTable;
        int tableSize = size;
        boolean inIndirectTable = false;
        boolean seenWritable = false;
        int current = head;
        int visited = 0;
        while (true) {
            // GUEST-CONTROLLED: a chain can use each descriptor of its table at most once, so one longer than
            // the table loops (§2.7.5.2: the device must not loop forever).
            if (++visited > tableSize) {
                throw new MalformedChainException("longer than its table of %d descriptors (a loop)".formatted(tableSize));
            }
            long descriptor = table + (long) SplitRing.DESCRIPTOR_SIZE * current;
            long address = memory.readLong(descriptor);
            long length = memory.readInt(descriptor + 8) & 0xFFFF_FFFFL;
            int flags = memory.readShort(descriptor + 12) & 0xFFFF;
            int next = memory.readShort(descriptor + 14) & 0xFFFF;

            if ((flags & SplitRing.DESC_F_INDIRECT) != 0) {
                // GUEST-CONTROLLED: indirect tables only when negotiated, never nested, never chained on
                // (§2.7.5.3.1), as the chain's only descriptor (how Linux uses them), len a whole number of
                // descriptors, at most a queue size of them, and inside guest RAM.
                if (!indirectDescriptors) {
                    throw new MalformedChainException("descriptor %d is indirect but VIRTIO_F_INDIRECT_DESC was not negotiated".formatted(current));
                }
                if (inIndirectTable) {
                    throw new MalformedChainException("indirect descriptor %d inside an indirect table".formatted(current));
                }
                if (visited != 1 || (flags & SplitRing.DESC_F_NEXT) != 0) {
                    throw new MalformedChainException("indirect descriptor %d is not the chain's only descriptor".formatted(current));
                }
                if (length == 0 || length % SplitRing.DESCRIPTOR_SIZE != 0 || length / SplitRing.DESCRIPTOR_SIZE > size) {
                    throw new MalformedChainException("indirect table length %d is not a multiple of 16 bytes for 1 to %d descriptors"
                            .formatted(length, size));
                }
                if (address < 0 || !memory.isValidRange(address, length)) {
                    throw new MalformedChainException("indirect table [0x%x, +0x%x) is not inside guest RAM".formatted(address, length));
                }
                table = address;
                tableSize = (int) (length / SplitRing.DESCRIPTOR_SIZE);
                inIndirectTable = true;
                current = 0;
                visited = 0;
                continue;
            }

            boolean deviceWritable = (flags & SplitRing.DESC_F_WRITE) != 0;
            // GUEST-CONTROLLED: readable buffers come first (§2.7.4.2).
            if (!deviceWritable && seenWritable) {
                throw new MalformedChainException("readable descriptor %d follows a writable one".formatted(current));
            }
            seenWritable |= deviceWritable;
            if (length > 0) {
                // GUEST-CONTROLLED: the whole buffer inside one RAM region (isValidRange is overflow-safe).
                if (address < 0 || !memory.isValidRange(address, length)) {
                    throw new MalformedChainException("descriptor %d buffer [0x%x, +0x%x) is not inside guest RAM"
                            .formatted(current, address, length));
                }
                (deviceWritable ? writable : readable).add(new GuestBuffer(address, length));
            }
            if ((flags & SplitRing.DESC_F_NEXT) == 0) {
                return new DescriptorChain(head, readable, writable);
            }
            // GUEST-CONTROLLED: next must index the table being walked.
            if (next >= tableSize) {
                throw new MalformedChainException("descriptor %d's next %d is outside its table of %d".formatted(current, next, tableSize));
            }
            current = next;
        }
    }

    /** A chain the driver got wrong; cheap (no stack trace) because hostile guests can make many. */
    private static final class MalformedChainException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedChainException(String message) {
            super(message, null, false, false);
        }
    }
}
