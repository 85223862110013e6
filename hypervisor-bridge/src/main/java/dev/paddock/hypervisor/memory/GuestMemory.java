package dev.paddock.hypervisor.memory;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * Guest RAM as a device (or a loader) sees it: bounds-checked access by guest-physical address.
 *
 * <p>Every access is checked against the regions; an address or length outside guest RAM throws
 * {@link GuestMemoryException} and never touches host memory. Guest RAM may exceed 2 GiB and may have
 * holes (the 32-bit MMIO gap), so it is a set of regions, each split internally into buffers.
 *
 * <p>Multi-byte values are little-endian, as in virtio and x86. The {@code Acquire}/{@code Release}
 * accessors give the ordering a split virtqueue needs (virtio 1.2 §2.7.13: read {@code avail.idx} with
 * acquire semantics before the ring entries; publish {@code used.idx} with release semantics after them);
 * they require natural alignment, which the virtqueue layout guarantees and validates.
 *
 * <p>Implementations: {@code MmapGuestMemory} (the real thing, in {@code dev.paddock.hypervisor.linux})
 * and {@link HeapGuestMemory} (device tests without a VM).
 */
public interface GuestMemory extends AutoCloseable {

    /** The regions, in ascending guest-physical order, non-overlapping. */
    List<GuestRegion> regions();

    /** Total bytes of guest RAM over all regions. */
    long size();

    /** True when [gpa, gpa+length) lies entirely inside one region. */
    boolean isValidRange(long gpa, long length);

    byte readByte(long gpa);

    short readShort(long gpa);

    int readInt(long gpa);

    long readLong(long gpa);

    void writeByte(long gpa, byte value);

    void writeShort(long gpa, short value);

    void writeInt(long gpa, int value);

    void writeLong(long gpa, long value);

    /** Copies {@code length} bytes at {@code gpa} into {@code dst[offset..]}. May cross region-internal buffer boundaries, never a hole. */
    void read(long gpa, byte[] dst, int offset, int length);

    void write(long gpa, byte[] src, int offset, int length);

    /** Copies {@code dst.remaining()} bytes at {@code gpa} into {@code dst}, advancing its position. */
    void read(long gpa, ByteBuffer dst);

    /** Copies {@code src.remaining()} bytes from {@code src} to {@code gpa}, advancing its position. */
    void write(long gpa, ByteBuffer src);

    /**
     * A little-endian view of [gpa, gpa+length), sharing guest memory (writes are visible to the guest).
     * The range must lie inside one internal buffer; use {@link #read}/{@link #write} for arbitrary ranges.
     * The view is only valid while the memory is open.
     */
    ByteBuffer slice(long gpa, int length);

    short readShortAcquire(long gpa);

    int readIntAcquire(long gpa);

    void writeShortRelease(long gpa, short value);

    void writeIntRelease(long gpa, int value);

    /** A full two-way fence, for the rare places the virtio spec asks for one (event index checks). */
    void fullFence();

    /** Unmaps or drops the backing memory. Further access throws {@link GuestMemoryException}. */
    @Override
    void close();
}
