package dev.paddock.hypervisor.linux;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import dev.paddock.hypervisor.HypervisorException;
import dev.paddock.hypervisor.memory.BufferGuestMemory;
import dev.paddock.hypervisor.memory.GuestRegion;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Guest RAM in anonymous private mappings, one per region: what KVM maps into a VM.
 *
 * <p>Each region is {@code mmap(MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE)}, so a 4 GiB guest costs
 * nothing until it touches its pages, and is excluded from core dumps ({@code MADV_DONTDUMP}: guest
 * RAM may hold secrets). With {@link Options#hugePages()} the regions ask for transparent huge pages
 * ({@code MADV_HUGEPAGE}), which cut EPT/NPT misses; that is advice, so it never fails a VM.
 */
public final class MmapGuestMemory extends BufferGuestMemory {

    /** @param hugePages request transparent huge pages for guest RAM */
    public record Options(boolean hugePages) {
        public static final Options DEFAULT = new Options(false);
    }

    private record Mapping(Pointer address, long size) {}

    private MmapGuestMemory(List<Backing> backings) {
        super(backings);
    }

    /** Maps regions given as {@code {guestAddress, size}} pairs; sizes must be whole 4 KiB pages. */
    public static MmapGuestMemory allocate(Options options, long[]... ranges) {
        List<Backing> backings = new ArrayList<>();
        try {
            for (long[] range : ranges) {
                if (range.length != 2) {
                    throw new IllegalArgumentException("a range is {guestAddress, size}, got " + range.length + " values");
                }
                backings.add(map(range[0], range[1], options));
            }
            return new MmapGuestMemory(backings);
        } catch (RuntimeException e) {
            unmap(backings);
            throw e;
        }
    }

    public static MmapGuestMemory allocate(long[]... ranges) {
        return allocate(Options.DEFAULT, ranges);
    }

    private static Backing map(long gpa, long size, Options options) {
        if (size <= 0 || (size & (PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("guest RAM region size 0x%x is not a positive multiple of 4 KiB".formatted(size));
        }
        Pointer base;
        try {
            base = LibC.mmap(null, size, LibC.PROT_READ | LibC.PROT_WRITE,
                    LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        } catch (LastErrorException e) {
            throw new HypervisorException("mmap of %d MiB of guest RAM failed: %s; lower the VM's memory or raise vm.max_map_count/overcommit limits"
                    .formatted(size >> 20, Errno.describe(e.getErrorCode())), e.getErrorCode(), e);
        }
        advise(base, size, LibC.MADV_DONTDUMP);
        if (options.hugePages()) {
            advise(base, size, LibC.MADV_HUGEPAGE);
        }
        GuestRegion region = new GuestRegion(gpa, size, OptionalLong.of(Pointer.nativeValue(base)));
        int n = (int) ((size + CHUNK_SIZE - 1) >>> CHUNK_SHIFT);
        ByteBuffer[] chunks = new ByteBuffer[n];
        for (int i = 0; i < n; i++) {
            long off = (long) i << CHUNK_SHIFT;
            chunks[i] = base.getByteBuffer(off, Math.min(CHUNK_SIZE, size - off));
        }
        return new Backing(region, chunks);
    }

    /** Advice only: a kernel without THP or DONTDUMP answers EINVAL, and guest RAM works the same without it. */
    private static void advise(Pointer base, long size, int advice) {
        try {
            LibC.madvise(base, size, advice);
        } catch (LastErrorException ignored) {
            // see above: advice that the kernel refuses changes nothing about correctness
        }
    }

    @Override
    protected void release(List<Backing> backings) {
        unmap(backings);
    }

    private static void unmap(List<Backing> backings) {
        for (Backing b : backings) {
            GuestRegion r = b.region();
            try {
                LibC.munmap(new Pointer(r.hostAddress().orElseThrow()), r.size());
            } catch (LastErrorException e) {
                throw new HypervisorException("munmap of guest RAM region %s failed: %s".formatted(r, Errno.describe(e.getErrorCode())),
                        e.getErrorCode(), e);
            }
        }
    }
}
