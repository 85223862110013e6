package dev.paddock.hypervisor.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Guest memory over {@link ByteBuffer}s: the shared access path of both providers.
 *
 * <p>A {@code ByteBuffer} indexes with an {@code int}, so each region is cut into chunks of
 * {@link #CHUNK_SIZE} bytes; an access that straddles two chunks takes a slow byte-wise path. Region
 * lookup is a linear scan over a tiny array (x86 guests have one or two RAM regions) starting at
 * the low region, which holds the rings and most buffers.
 *
 * <p>Every access is bounds-checked against the region that holds its first byte; an access is never
 * allowed to run past a region's end into a hole, and nothing outside the chunks is ever touched,
 * so a guest-supplied address can never make Paddock read host memory.
 *
 * <p>Closing: {@link #close()} drops the regions first, then releases the backing memory. Callers must
 * stop vCPUs and device workers before closing (the VM owns that order); an access after close fails
 * with {@link GuestMemoryException}.
 */
public abstract class BufferGuestMemory implements GuestMemory {

    /** 1 GiB: the largest power of two an {@code int}-indexed buffer can hold. */
    public static final int CHUNK_SHIFT = 30;
    public static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
    private static final long CHUNK_MASK = CHUNK_SIZE - 1;
    /** x86 base page size; regions start on a page so that aligned accesses never straddle a chunk. */
    public static final long PAGE_SIZE = 4096;

    private static final VarHandle SHORT_LE =
            MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE =
            MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    /** One region and its chunk buffers, all little-endian, each exactly CHUNK_SIZE except the last. */
    protected record Backing(GuestRegion region, ByteBuffer[] chunks) {
        public Backing {
            Objects.requireNonNull(region);
            long expected = (region.size() + CHUNK_SIZE - 1) >>> CHUNK_SHIFT;
            if (chunks.length != expected) {
                throw new IllegalArgumentException("region of 0x%x bytes needs %d chunks, got %d"
                        .formatted(region.size(), expected, chunks.length));
            }
            for (int i = 0; i < chunks.length; i++) {
                long want = Math.min(CHUNK_SIZE, region.size() - ((long) i << CHUNK_SHIFT));
                if (chunks[i].capacity() != want) {
                    throw new IllegalArgumentException("chunk %d holds %d bytes, expected %d"
                            .formatted(i, chunks[i].capacity(), want));
                }
                chunks[i] = chunks[i].duplicate().clear().order(ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    private static final Backing[] CLOSED = new Backing[0];

    private volatile Backing[] backings;

    /**
     * Fast path: the first chunk of a region that starts at guest-physical 0 (where rings and most
     * buffers live). An access [gpa, gpa+n) with 0 <= gpa <= fastLimit - n goes straight to it.
     * close() sets fastLimit to -1 before releasing memory, which sends every access to the checked path.
     */
    private ByteBuffer fast;
    private long fastLimit = -1;
    private final List<GuestRegion> regions;
    private final long size;

    protected BufferGuestMemory(List<Backing> backings) {
        List<Backing> sorted = new ArrayList<>(backings);
        sorted.sort((a, b) -> Long.compareUnsigned(a.region().guestAddress(), b.region().guestAddress()));
        if (sorted.isEmpty()) {
            throw new IllegalArgumentException("guest memory needs at least one region");
        }
        long total = 0;
        for (int i = 0; i < sorted.size(); i++) {
            GuestRegion r = sorted.get(i).region();
            if ((r.guestAddress() & (PAGE_SIZE - 1)) != 0) {
                throw new IllegalArgumentException("guest region %s does not start on a 4 KiB page".formatted(r));
            }
            if (i > 0 && sorted.get(i - 1).region().end() > r.guestAddress()) {
                throw new IllegalArgumentException("guest regions overlap: %s and %s".formatted(sorted.get(i - 1).region(), r));
            }
            total += r.size();
        }
        this.backings = sorted.toArray(Backing[]::new);
        if (this.backings[0].region().guestAddress() == 0) {
            this.fast = this.backings[0].chunks()[0];
            this.fastLimit = this.fast.capacity();
        }
        this.regions = sorted.stream().map(Backing::region).toList();
        this.size = total;
    }

    @Override
    public final List<GuestRegion> regions() {
        return regions;
    }

    @Override
    public final long size() {
        return size;
    }

    @Override
    public final boolean isValidRange(long gpa, long length) {
        if (length < 0) {
            return false;
        }
        for (Backing b : backings) {
            GuestRegion r = b.region();
            if (r.contains(gpa)) {
                return length <= r.end() - gpa;
            }
        }
        return false;
    }

    /** Finds the backing holding [gpa, gpa+length) or throws; length >= 1. */
    private Backing backing(long gpa, long length) {
        Backing[] bs = backings;
        for (Backing b : bs) {
            GuestRegion r = b.region();
            long off = gpa - r.guestAddress();
            if (off >= 0 && off < r.size()) {
                if (length > r.size() - off) {
                    throw new GuestMemoryException("guest access [0x%x, +%d) runs past the end of guest RAM region [0x%x, 0x%x)"
                            .formatted(gpa, length, r.guestAddress(), r.end()));
                }
                return b;
            }
        }
        if (bs.length == 0) {
            throw new GuestMemoryException("guest memory is closed (access at 0x%x)".formatted(gpa));
        }
        throw new GuestMemoryException("guest address 0x%x (length %d) is not in guest RAM".formatted(gpa, length));
    }

    private long readSlow(long gpa, int length) {
        long v = 0;
        for (int i = 0; i < length; i++) {
            v |= (readByte(gpa + i) & 0xFFL) << (8 * i);
        }
        return v;
    }

    private void writeSlow(long gpa, int length, long value) {
        for (int i = 0; i < length; i++) {
            writeByte(gpa + i, (byte) (value >>> (8 * i)));
        }
    }

    @Override
    public final byte readByte(long gpa) {
        if (gpa >= 0 && gpa <= fastLimit - 1) {
            return fast.get((int) gpa);
        }
        Backing b = backing(gpa, 1);
        long off = gpa - b.region().guestAddress();
        return b.chunks()[(int) (off >>> CHUNK_SHIFT)].get((int) (off & CHUNK_MASK));
    }

    @Override
    public final void writeByte(long gpa, byte value) {
        if (gpa >= 0 && gpa <= fastLimit - 1) {
            fast.put((int) gpa, value);
            return;
        }
        Backing b = backing(gpa, 1);
        long off = gpa - b.region().guestAddress();
        b.chunks()[(int) (off >>> CHUNK_SHIFT)].put((int) (off & CHUNK_MASK), value);
    }

    @Override
    public final short readShort(long gpa) {
        if (gpa >= 0 && gpa <= fastLimit - 2) {
            return fast.getShort((int) gpa);
        }
        Backing b = backing(gpa, 2);
        long off = gpa - b.region().guestAddress();
        int pos = (int) (off & CHUNK_MASK);
        return pos <= CHUNK_SIZE - 2 ? b.chunks()[(int) (off >>> CHUNK_SHIFT)].getShort(pos) : (short) readSlow(gpa, 2);
    }

    @Override
    public final int readInt(long gpa) {
        if (gpa >= 0 && gpa <= fastLimit - 4) {
            return fast.getInt((int) gpa);
        }
        Backing b = backing(gpa, 4);
        long off = gpa - b.region().guestAddress();
        int pos = (int) (off & CHUNK_MASK);
        return pos <= CHUNK_SIZE - 4 ? b.chunks()[(int) (off >>> CHUNK_SHIFT)].getInt(pos) : (int) readSlow(gpa, 4);
    }

    @Override
    public final long readLong(long gpa) {
        if (gpa >= 0 && gpa <= fastLimit - 8) {
            return fast.getLong((int) gpa);
        }
        Backing b = backing(gpa, 8);
        long off = gpa - b.region().guestAddress();
        int pos = (int) (off & CHUNK_MASK);
        return pos <= CHUNK_SIZE - 8 ? b.chunks()[(int) (off >>> CHUNK_SHIFT)].getLong(pos) : readSlow(gpa, 8);
    }

    @Override
    public final void writeShort(long gpa, short value) {
        if (gpa >= 0 && gpa <= fastLimit - 2) {
            fast.putShort((int) gpa, value);
            return;
        }
        Backing b = backing(gpa, 2);
        long off = gpa - b.region().guestAddress();
        int pos = (int) (off & CHUNK_MASK);
        if (pos <= CHUNK_SIZE - 2) {
            b.chunks()[(int) (off >>> CHUNK_SHIFT)].putShort(pos, value);
        } else {
            writeSlow(gpa, 2, value);
        }
    }

    @Override
    public final void writeInt(long gpa, int value) {
        if (gpa >= 0 && gpa <= fastLimit - 4) {
            fast.putInt((int) gpa, value);
            return;
        }
        Backing b = backing(gpa, 4);
        long off = gpa - b.region().guestAddress();
        int pos = (int) (off & CHUNK_MASK);
        if (pos <= CHUNK_SIZE - 4) {
            b.chunks()[(int) (off >>> CHUNK_SHIFT)].putInt(pos, value);
        } else {
            writeSlow(gpa, 4, value);
        }
    }

    @Override
    public final void writeLong(long gpa, long value) {
        if (gpa >= 0 && gpa <= fastLimit - 8) {
            fast.putLong((int) gpa, value);
            return;
        }
        Backing b = backing(gpa, 8);
        long off = gpa - b.region().guestAddress();
        int pos = (int) (off & CHUNK_MASK);
        if (pos <= CHUNK_SIZE - 8) {
            b.chunks()[(int) (off >>> CHUNK_SHIFT)].putLong(pos, value);
        } else {
            writeSlow(gpa, 8, value);
        }
    }

    @Override
    public final void read(long gpa, byte[] dst, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        copy(gpa, length, (chunk, pos, done, n) -> chunk.get(pos, dst, offset + done, n));
    }

    @Override
    public final void write(long gpa, byte[] src, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, src.length);
        copy(gpa, length, (chunk, pos, done, n) -> chunk.put(pos, src, offset + done, n));
    }

    @Override
    public final void read(long gpa, ByteBuffer dst) {
        int start = dst.position();
        copy(gpa, dst.remaining(), (chunk, pos, done, n) -> dst.put(start + done, chunk, pos, n));
        dst.position(dst.limit());
    }

    @Override
    public final void write(long gpa, ByteBuffer src) {
        int start = src.position();
        copy(gpa, src.remaining(), (chunk, pos, done, n) -> chunk.put(pos, src, start + done, n));
        src.position(src.limit());
    }

    @FunctionalInterface
    private interface ChunkCopy {
        void copy(ByteBuffer chunk, int pos, int done, int n);
    }

    /** Validates the whole range first (nothing is copied on failure), then copies chunk by chunk. */
    private void copy(long gpa, int length, ChunkCopy op) {
        if (length == 0) {
            return;
        }
        Backing b = backing(gpa, length);
        long off = gpa - b.region().guestAddress();
        int done = 0;
        while (done < length) {
            long at = off + done;
            int pos = (int) (at & CHUNK_MASK);
            int n = (int) Math.min(length - done, CHUNK_SIZE - pos);
            op.copy(b.chunks()[(int) (at >>> CHUNK_SHIFT)], pos, done, n);
            done += n;
        }
    }

    @Override
    public final ByteBuffer slice(long gpa, int length) {
        if (length < 0) {
            throw new GuestMemoryException("negative slice length %d at 0x%x".formatted(length, gpa));
        }
        if (length == 0) {
            return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        Backing b = backing(gpa, length);
        long off = gpa - b.region().guestAddress();
        int pos = (int) (off & CHUNK_MASK);
        if (pos > CHUNK_SIZE - length) {
            throw new GuestMemoryException("slice [0x%x, +%d) crosses a %d-byte buffer boundary; copy it with read()/write()"
                    .formatted(gpa, length, CHUNK_SIZE));
        }
        return b.chunks()[(int) (off >>> CHUNK_SHIFT)].slice(pos, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * The chunk for an ordered access; sets nothing. Aligned accesses never straddle a chunk, because
     * chunks start at 1 GiB multiples of a page-aligned region start.
     */
    private Backing aligned(long gpa, int size) {
        if ((gpa & (size - 1)) != 0) {
            throw new GuestMemoryException("ordered %d-byte access at 0x%x is not naturally aligned".formatted(size, gpa));
        }
        return backing(gpa, size);
    }

    private static ByteBuffer chunk(Backing b, long gpa) {
        return b.chunks()[(int) ((gpa - b.region().guestAddress()) >>> CHUNK_SHIFT)];
    }

    private static int pos(Backing b, long gpa) {
        return (int) ((gpa - b.region().guestAddress()) & CHUNK_MASK);
    }

    @Override
    public final short readShortAcquire(long gpa) {
        if (gpa >= 0 && gpa <= fastLimit - 2 && (gpa & 1) == 0) {
            return (short) SHORT_LE.getAcquire(fast, (int) gpa);
        }
        Backing b = aligned(gpa, 2);
        return (short) SHORT_LE.getAcquire(chunk(b, gpa), pos(b, gpa));
    }

    @Override
    public final int readIntAcquire(long gpa) {
        if (gpa >= 0 && gpa <= fastLimit - 4 && (gpa & 3) == 0) {
            return (int) INT_LE.getAcquire(fast, (int) gpa);
        }
        Backing b = aligned(gpa, 4);
        return (int) INT_LE.getAcquire(chunk(b, gpa), pos(b, gpa));
    }

    @Override
    public final void writeShortRelease(long gpa, short value) {
        if (gpa >= 0 && gpa <= fastLimit - 2 && (gpa & 1) == 0) {
            SHORT_LE.setRelease(fast, (int) gpa, value);
            return;
        }
        Backing b = aligned(gpa, 2);
        SHORT_LE.setRelease(chunk(b, gpa), pos(b, gpa), value);
    }

    @Override
    public final void writeIntRelease(long gpa, int value) {
        if (gpa >= 0 && gpa <= fastLimit - 4 && (gpa & 3) == 0) {
            INT_LE.setRelease(fast, (int) gpa, value);
            return;
        }
        Backing b = aligned(gpa, 4);
        INT_LE.setRelease(chunk(b, gpa), pos(b, gpa), value);
    }

    @Override
    public final void fullFence() {
        VarHandle.fullFence();
    }

    @Override
    public final void close() {
        Backing[] old;
        synchronized (this) {
            old = backings;
            if (old == CLOSED) {
                return;
            }
            fastLimit = -1;
            fast = null;
            backings = CLOSED;
        }
        release(List.of(old));
    }

    /** Releases the backing memory of these regions; called once, after they are unreachable to new accesses. */
    protected abstract void release(List<Backing> backings);
}
