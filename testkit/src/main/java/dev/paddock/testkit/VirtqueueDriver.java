package dev.paddock.testkit;

import dev.paddock.hypervisor.memory.GuestMemory;
import java.util.ArrayList;
import java.util.List;

/**
 * The driver's side of one split virtqueue (virtio 1.2 §2.7), over any {@link GuestMemory}: what the guest
 * kernel does, so device tests need no VM (after rust-vmm virtio-queue's {@code MockSplitQueue}).
 *
 * <p>It lays out the descriptor table at {@code base}, the available ring right after it and the used
 * ring after that (4-byte aligned), and can write well-formed chains ({@link #addChain}, {@link
 * #addIndirectChain}) as well as anything a hostile guest might ({@link #writeDescriptor}, {@link
 * #publish}, {@link #setAvailableIndex}). Ring indices are published with release semantics, as Linux does.
 */
public final class VirtqueueDriver {
    /** VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_DESC_F_INDIRECT (include/uapi/linux/virtio_ring.h). */
    public static final int NEXT = 1;
    public static final int WRITE = 2;
    public static final int INDIRECT = 4;
    /** VRING_AVAIL_F_NO_INTERRUPT */
    public static final int NO_INTERRUPT = 1;

    /** One buffer of a chain as the driver describes it. */
    public record Segment(long address, long length, boolean deviceWritable) {
        public static Segment readable(long address, long length) {
            return new Segment(address, length, false);
        }

        public static Segment writable(long address, long length) {
            return new Segment(address, length, true);
        }
    }

    /** One entry of the used ring. */
    public record UsedElement(int id, int length) {
    }

    private final GuestMemory memory;
    private final int size;
    private final long descriptorTable;
    private final long availableRing;
    private final long usedRing;
    private int availableIndex;
    private int nextFreeDescriptor;
    private int usedSeen;

    /** Lays the rings out from {@code base} (16-byte aligned) and zeroes them. */
    public VirtqueueDriver(GuestMemory memory, long base, int size) {
        this.memory = memory;
        this.size = size;
        this.descriptorTable = base;
        this.availableRing = base + 16L * size;
        this.usedRing = (availableRing + 6 + 2L * size + 3) & ~3L;
        byte[] zeros = new byte[(int) (usedRing + 6 + 8L * size - base)];
        memory.write(base, zeros, 0, zeros.length);
    }

    /** Bytes the three ring parts take from {@code base}. */
    public static long footprint(int size) {
        long used = (16L * size + 6 + 2L * size + 3) & ~3L;
        return used + 6 + 8L * size;
    }

    public int size() {
        return size;
    }

    public long descriptorTable() {
        return descriptorTable;
    }

    public long availableRing() {
        return availableRing;
    }

    public long usedRing() {
        return usedRing;
    }

    public GuestMemory memory() {
        return memory;
    }

    /** Writes descriptor {@code index} of the main table verbatim (any values, for hostile tests). */
    public void writeDescriptor(int index, long address, long length, int flags, int next) {
        writeDescriptorAt(descriptorTable + 16L * index, address, length, flags, next);
    }

    /** Writes a descriptor anywhere (an indirect table entry). */
    public void writeDescriptorAt(long where, long address, long length, int flags, int next) {
        memory.writeLong(where, address);
        memory.writeInt(where + 8, (int) length);
        memory.writeShort(where + 12, (short) flags);
        memory.writeShort(where + 14, (short) next);
    }

    /** Puts {@code head} (any value) in the next available slot and publishes the new index. */
    public void publish(int head) {
        memory.writeShort(availableRing + 4 + 2L * (availableIndex % size), (short) head);
        availableIndex = (availableIndex + 1) & 0xFFFF;
        memory.writeShortRelease(availableRing + 2, (short) availableIndex);
    }

    /** Sets avail.idx to anything, e.g. far ahead of the entries actually written. */
    public void setAvailableIndex(int index) {
        availableIndex = index & 0xFFFF;
        memory.writeShortRelease(availableRing + 2, (short) availableIndex);
    }

    /** The descriptor index the next {@link #addChain} will start at (descriptors are taken round-robin). */
    public int peekNextFreeDescriptor() {
        return nextFreeDescriptor;
    }

    public int availableIndex() {
        return availableIndex;
    }

    /** Sets or clears VRING_AVAIL_F_NO_INTERRUPT. */
    public void suppressInterrupts(boolean suppress) {
        memory.writeShort(availableRing, (short) (suppress ? NO_INTERRUPT : 0));
    }

    /**
     * Writes a well-linked chain into free descriptors (taken round-robin) and publishes it.
     *
     * @return the head descriptor index
     */
    public int addChain(Segment... segments) {
        if (segments.length == 0 || segments.length > size) {
            throw new IllegalArgumentException("a chain has 1 to %d segments, got %d".formatted(size, segments.length));
        }
        int head = nextFreeDescriptor;
        int current = head;
        for (int i = 0; i < segments.length; i++) {
            int next = (current + 1) % size;
            Segment s = segments[i];
            int flags = (s.deviceWritable() ? WRITE : 0) | (i + 1 < segments.length ? NEXT : 0);
            writeDescriptor(current, s.address(), s.length(), flags, i + 1 < segments.length ? next : 0);
            current = next;
        }
        nextFreeDescriptor = current;
        publish(head);
        return head;
    }

    /**
     * Writes {@code segments} as an indirect table at {@code tableAddress}, one main descriptor pointing at
     * it, and publishes that.
     *
     * @return the head descriptor index
     */
    public int addIndirectChain(long tableAddress, Segment... segments) {
        for (int i = 0; i < segments.length; i++) {
            Segment s = segments[i];
            int flags = (s.deviceWritable() ? WRITE : 0) | (i + 1 < segments.length ? NEXT : 0);
            writeDescriptorAt(tableAddress + 16L * i, s.address(), s.length(), flags, i + 1 < segments.length ? i + 1 : 0);
        }
        int head = nextFreeDescriptor;
        writeDescriptor(head, tableAddress, 16L * segments.length, INDIRECT, 0);
        nextFreeDescriptor = (head + 1) % size;
        publish(head);
        return head;
    }

    /** used.idx as the device last published it (read with acquire semantics). */
    public int usedIndex() {
        return memory.readShortAcquire(usedRing + 2) & 0xFFFF;
    }

    /** The used ring entry at free-running position {@code position}. */
    public UsedElement used(int position) {
        long element = usedRing + 4 + 8L * (position % size);
        return new UsedElement(memory.readInt(element), memory.readInt(element + 4));
    }

    /** The used entries published since the last call, oldest first. */
    public List<UsedElement> takeUsed() {
        int published = usedIndex();
        List<UsedElement> out = new ArrayList<>();
        while (usedSeen != published) {
            out.add(used(usedSeen));
            usedSeen = (usedSeen + 1) & 0xFFFF;
        }
        return out;
    }
}
