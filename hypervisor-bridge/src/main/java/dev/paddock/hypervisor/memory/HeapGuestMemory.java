package dev.paddock.hypervisor.memory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Guest memory on the Java heap, for device and loader tests that run without a hypervisor.
 *
 * <p>It behaves exactly like the mmap provider (same bounds checks, same ordering, same chunking), but
 * its regions have no host address, so it can never be handed to KVM.
 */
public final class HeapGuestMemory extends BufferGuestMemory {

    private HeapGuestMemory(List<Backing> backings) {
        super(backings);
    }

    /** One region of {@code size} bytes starting at guest-physical 0. */
    public static HeapGuestMemory ofSize(long size) {
        return of(new long[] {0, size});
    }

    /** Regions given as {@code {guestAddress, size}} pairs. */
    public static HeapGuestMemory of(long[]... ranges) {
        List<Backing> backings = new ArrayList<>();
        for (long[] range : ranges) {
            if (range.length != 2) {
                throw new IllegalArgumentException("a range is {guestAddress, size}, got " + range.length + " values");
            }
            GuestRegion region = new GuestRegion(range[0], range[1], OptionalLong.empty());
            int n = (int) ((region.size() + CHUNK_SIZE - 1) >>> CHUNK_SHIFT);
            ByteBuffer[] chunks = new ByteBuffer[n];
            for (int i = 0; i < n; i++) {
                chunks[i] = ByteBuffer.allocate((int) Math.min(CHUNK_SIZE, region.size() - ((long) i << CHUNK_SHIFT)));
            }
            backings.add(new Backing(region, chunks));
        }
        return new HeapGuestMemory(backings);
    }

    @Override
    protected void release(List<Backing> backings) {
        // Heap buffers go with the garbage collector once the regions are unreachable.
    }
}
