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
 * ({@code MADV_HUGEPAGE}), which cut EPT/NPT misses; that is advice, so it never fails a VM. With
 * {@link Options#prefault()} every page is faulted in, zero-filled, before {@code allocate} returns, so nothing the
 * VM later does to its RAM pays a first-touch fault in the host: what a pool of ready guest RAM
 * ({@code GuestRamPool} in runtime) does off the boot path.
 */
public final class MmapGuestMemory extends BufferGuestMemory {

    /**
     * @param hugePages request transparent huge pages for guest RAM
     * @param prefault  fault every page in (zero-filled, writable) before returning: slow, so for a background thread
     */
    public record Options(boolean hugePages, boolean prefault) {
        public static final Options DEFAULT = new Options(false, false);

        public Options(boolean hugePages) {
            this(hugePages, false);
        }
    }

    /** How much is faulted in per call: small, so the call holds the process's mmap lock only briefly each time. */
    static final long PREFAULT_STEP = 2L << 20;

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
        Backing backing = new Backing(region, chunks);
        if (options.prefault()) {
            try {
                prefault(base, backing);
            } catch (RuntimeException | Error e) {
                unmap(List.of(backing));
                throw e;
            }
        }
        return backing;
    }

    /**
     * Faults the whole mapping in: {@code MADV_POPULATE_WRITE} a step at a time, or, on a kernel older than 5.14
     * (EINVAL), one zero byte written per page, which is the same for fresh anonymous memory. ENOMEM from populate
     * means the host is out of memory: that fails the allocation rather than leaving a VM to be OOM-killed later.
     */
    private static void prefault(Pointer base, Backing backing) {
        long size = backing.region().size();
        for (long off = 0; off < size; off += PREFAULT_STEP) {
            long len = Math.min(PREFAULT_STEP, size - off);
            try {
                LibC.madvise(base.share(off), len, LibC.MADV_POPULATE_WRITE);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != LibC.EINVAL) {
                    throw new HypervisorException("faulting in %d MiB of guest RAM failed: %s"
                            .formatted(size >> 20, Errno.describe(e.getErrorCode())), e.getErrorCode(), e);
                }
                touch(backing, off);
                return;
            }
        }
    }

    private static void touch(Backing backing, long from) {
        long size = backing.region().size();
        for (long off = from; off < size; off += PAGE_SIZE) {
            backing.chunks()[(int) (off >>> CHUNK_SHIFT)].put((int) (off & (CHUNK_SIZE - 1)), (byte) 0);
        }
    }

    /** How many bytes of guest RAM are resident in the host now ({@code mincore(2)}): for tests and pool statistics. */
    public long residentBytes() {
        long resident = 0;
        byte[] vec = new byte[(int) (PREFAULT_STEP / PAGE_SIZE)];
        for (GuestRegion r : regions()) {
            Pointer base = new Pointer(r.hostAddress().orElseThrow());
            for (long off = 0; off < r.size(); off += PREFAULT_STEP) {
                long len = Math.min(PREFAULT_STEP, r.size() - off);
                try {
                    LibC.mincore(base.share(off), len, vec);
                } catch (LastErrorException e) {
                    throw new HypervisorException("mincore over guest RAM region %s failed: %s"
                            .formatted(r, Errno.describe(e.getErrorCode())), e.getErrorCode(), e);
                }
                for (int i = 0; i < (int) (len / PAGE_SIZE); i++) {
                    resident += (vec[i] & 1) * PAGE_SIZE;
                }
            }
        }
        return resident;
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
