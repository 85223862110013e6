package dev.paddock.runtime.virtio.fuzz;

import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.testkit.VirtqueueDriver;
import java.util.SplittableRandom;

/**
 * Writes what a hostile (or merely buggy) driver might into a split ring: random descriptor tables biased
 * towards the edges that matter (addresses at and past the ends of RAM and across its hole, lengths up to
 * 2^32 − 1, every flag combination, next indices just past the table, indirect tables of odd sizes,
 * heads out of range, avail.idx jumps), derived from one seed so that a failing try is reproducible.
 *
 * <p>Guest RAM for these suites: [0, 0x8000) and [0x9000, 0x10000), a hole between them.
 */
final class HostileRing {
    static final long LOW_END = 0x8000;
    static final long HIGH_START = 0x9000;
    static final long RAM_END = 0x10000;
    static final long[][] RAM = {{0, LOW_END}, {HIGH_START, RAM_END - HIGH_START}};
    /** Rings live at 0x0 (at most 16 entries: < 0x200 bytes); buffers and indirect tables above. */
    static final long RING_BASE = 0;
    static final int MAX_SIZE = 16;

    private HostileRing() {
    }

    /**
     * What the driver made available: the queue size, avail.idx, and whether buffers may point into the
     * rings themselves (then a device's writes legitimately scribble over the ring indices, and only the
     * safety invariants can be checked).
     */
    record Published(int size, int availableIndex, boolean ringsAliased) {
    }

    static Published write(SplittableRandom random, VirtqueueDriver driver, boolean headerLike) {
        GuestMemory memory = driver.memory();
        int size = driver.size();
        boolean alias = random.nextInt(4) == 0;
        for (int i = 0; i < size; i++) {
            driver.writeDescriptor(i, address(random, alias), length(random), flags(random), next(random, size));
        }
        // Indirect tables at a few addresses that descriptors are likely to point at.
        for (int t = 0; t < 2; t++) {
            long table = 0x1000 + 0x400L * t;
            int entries = 1 + random.nextInt(MAX_SIZE + 2);
            for (int i = 0; i < entries; i++) {
                driver.writeDescriptorAt(table + 16L * i, address(random, alias), length(random), flags(random) & ~(random.nextInt(8) == 0 ? 0 : 4),
                        next(random, entries));
            }
        }
        if (headerLike) {
            // Plausible virtio-blk headers where readable buffers often start.
            for (long at : new long[] {0x2000, 0x2200, 0x9000, 0x9400}) {
                int[] types = {0, 1, 4, 8, 11, random.nextInt()};
                memory.writeInt(at, types[random.nextInt(types.length)]);
                memory.writeInt(at + 4, random.nextInt());
                long[] sectors = {0, 1, 63, 64, 65, -1L, Long.MAX_VALUE, random.nextLong()};
                memory.writeLong(at + 8, sectors[random.nextInt(sectors.length)]);
            }
        }
        int entries = random.nextInt(size + 1);
        for (int i = 0; i < entries; i++) {
            driver.publish(random.nextInt(8) == 0 ? random.nextInt(0x10000) : random.nextInt(size));
        }
        if (random.nextInt(16) == 0) {
            driver.setAvailableIndex(random.nextInt(0x10000));
        }
        driver.suppressInterrupts(random.nextBoolean());
        return new Published(size, driver.availableIndex(), alias);
    }

    static int queueSize(SplittableRandom random) {
        return 1 << random.nextInt(5); // 1 .. 16
    }

    private static long address(SplittableRandom r, boolean aliasRings) {
        return switch (r.nextInt(aliasRings ? 12 : 11)) {
            case 0 -> r.nextLong();
            case 1 -> LOW_END - r.nextInt(64);
            case 2 -> HIGH_START - r.nextInt(64);
            case 3 -> RAM_END - r.nextInt(64);
            case 4 -> RAM_END + r.nextInt(0x1000);
            case 5 -> -1L - r.nextInt(16);
            case 6 -> 0x1000 + 0x400L * r.nextInt(2); // an indirect table
            case 7 -> 0x2000 + 0x200L * r.nextInt(2);
            case 8 -> 0x9000 + 0x400L * r.nextInt(2);
            case 11 -> r.nextInt(0x200); // the rings themselves
            default -> 0x2000 + r.nextInt(0x5000);
        };
    }

    private static long length(SplittableRandom r) {
        return switch (r.nextInt(10)) {
            case 0 -> 0;
            case 1 -> 0xFFFF_FFFFL;
            case 2 -> r.nextLong() & 0xFFFF_FFFFL;
            case 3 -> 16L * (1 + r.nextInt(MAX_SIZE + 1));
            case 4 -> 1;
            case 5 -> 512L * r.nextInt(4);
            case 6 -> 16 + r.nextInt(4);
            default -> 1 + r.nextInt(0x800);
        };
    }

    private static int flags(SplittableRandom r) {
        return r.nextInt(4) == 0 ? r.nextInt(0x10000) : r.nextInt(8);
    }

    private static int next(SplittableRandom r, int size) {
        return r.nextInt(8) == 0 ? r.nextInt(0x10000) : r.nextInt(size + 1);
    }
}
