package dev.paddock.runtime.vmm;

import dev.paddock.hypervisor.HypervisorException;
import dev.paddock.hypervisor.linux.MemInfo;
import dev.paddock.hypervisor.linux.MmapGuestMemory;
import dev.paddock.runtime.arch.x86.Layout;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Guest RAM made ready before a VM asks for it: fresh anonymous mappings whose every page is already faulted in, so
 * that loading the kernel and the guest's boot do not pay the host's first-touch faults on the boot path (under the
 * emulated accelerator they were most of a warm build's time and varied 5–40× between identical boots;
 * docs/performance.md). A VM built with {@link VmBuilder#guestRam(GuestRamPool)} takes a ready region of its size if
 * there is one and a fresh, lazily faulted one otherwise; either way one background thread then makes the next one
 * ready, at normal priority: it costs about what one guest's boot spends faulting in the same memory. So that this
 * work does not compete with the boot that just took a region, it starts when the taker says the boot is over
 * ({@link #vmBooted()}), or {@value #FILL_DELAY_MS} ms after the last take if nobody says so.
 * ({@code SCHED_IDLE} was tried: on a busy single-CPU host the filler then starved and mostly left the pool empty,
 * and one guest boot in that run, concurrent with a fill, took 104 s; the cause of that was not established.)
 *
 * <p><b>Nothing is reused.</b> A region is handed out once and unmapped when its VM ends; the pool only ever holds
 * mappings no guest has seen, zero-filled by the kernel, so one guest's memory can never reach another.
 *
 * <p><b>What it costs.</b> Ready regions are resident memory nobody uses yet. The pool keeps at most {@code depth}
 * regions for each of the {@value #REMEMBERED_SIZES} sizes asked for most recently, and never more than
 * {@code maxReadyBytes} in all; a VM bigger than that is never pooled. It learns sizes from {@link #take}, so the
 * first VM of each size gets fresh memory.
 */
public final class GuestRamPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GuestRamPool.class.getName());

    /** How many distinct VM sizes the pool keeps regions for: the default sandbox size and one other. */
    static final int REMEMBERED_SIZES = 2;
    /** After a failed fill (the host is short of memory), wait this long before trying again. */
    static final long FILL_RETRY_MS = 30_000;
    /** How long after a take the filler waits, at most, for {@link #vmBooted()} before it fills anyway. */
    static final long FILL_DELAY_MS = 10_000;
    /** {@code paddock.ramPool.maxBytes}: the process-wide pool's bound; 0 turns it off. */
    public static final String MAX_BYTES_PROPERTY = "paddock.ramPool.maxBytes";

    /** Guest RAM handed out, and whether it was made ready ahead of time. The caller owns {@code memory}. */
    public record Taken(MmapGuestMemory memory, boolean wasReady) {}

    /** How often a VM got ready RAM, how often fresh, how many fills failed, and what is ready now. */
    public record Stats(long readyTaken, long freshTaken, long fillFailures, long readyBytes) {}

    private static GuestRamPool shared;

    private final int depth;
    private final long maxReadyBytes;
    private final Object lock = new Object();
    /** Ready regions by VM memory size, in the order sizes were last asked for (least recent first). */
    private final LinkedHashMap<Long, ArrayDeque<MmapGuestMemory>> ready = new LinkedHashMap<>(8, 0.75f, true);
    /** Bytes ready plus the one region being filled. */
    private long committedBytes;
    private boolean closed;
    /** The filler starts no fill before this {@link System#nanoTime()}. */
    private long fillNotBefore = System.nanoTime();
    private final Thread filler;
    private final AtomicLong readyTaken = new AtomicLong();
    private final AtomicLong freshTaken = new AtomicLong();
    private final AtomicLong fillFailures = new AtomicLong();

    private final long fillDelayNanos;

    private GuestRamPool(String name, int depth, long maxReadyBytes, long fillDelayMs) {
        this.fillDelayNanos = fillDelayMs * 1_000_000;
        this.depth = depth;
        this.maxReadyBytes = maxReadyBytes;
        this.filler = new Thread(this::fillLoop, name);
        filler.setDaemon(true);
    }

    /**
     * A pool with its filler thread running.
     *
     * @param depth         ready regions kept per size, at least 1
     * @param maxReadyBytes at most this much ready memory in all, at least one page
     */
    public static GuestRamPool start(String name, int depth, long maxReadyBytes) {
        return start(name, depth, maxReadyBytes, FILL_DELAY_MS);
    }

    static GuestRamPool start(String name, int depth, long maxReadyBytes, long fillDelayMs) {
        if (depth < 1) {
            throw new IllegalArgumentException("a guest RAM pool keeps at least 1 region per size, got " + depth);
        }
        if (maxReadyBytes < MmapGuestMemory.PAGE_SIZE) {
            throw new IllegalArgumentException("a guest RAM pool needs at least one page, got " + maxReadyBytes + " bytes");
        }
        GuestRamPool pool = new GuestRamPool(name, depth, maxReadyBytes, fillDelayMs);
        pool.filler.start();
        return pool;
    }

    /**
     * The process's pool (the daemon's, the boot benchmark's server): one region per size, bounded by
     * {@value #MAX_BYTES_PROPERTY} or else an eighth of the memory available when first asked for, at most 4 GiB.
     * Null when that bound is 0 or too small for any VM.
     */
    public static synchronized GuestRamPool shared() {
        if (shared == null) {
            long max = Long.getLong(MAX_BYTES_PROPERTY, Math.min(4L << 30, availableMemoryBytes() / 8));
            if (max < VmConfig.MIN_MEMORY_MIB << 20) {
                return null;
            }
            shared = start("guest-ram-pool", 1, max);
        }
        return shared;
    }

    private static long availableMemoryBytes() {
        try {
            OptionalLong kib = MemInfo.availableKiB(MemInfo.PROC_MEMINFO);
            if (kib.isPresent()) {
                return kib.getAsLong() << 10;
            }
            LOG.log(Level.WARNING, "/proc/meminfo has no MemAvailable; the guest RAM pool is off");
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read /proc/meminfo; the guest RAM pool is off", e);
        }
        return 0;
    }

    /**
     * Guest RAM for a VM of {@code memoryBytes} ({@link Layout#ramRegions}): a ready region if there is one, a fresh
     * one otherwise. The caller owns it (closing it unmaps it). Wakes the filler either way.
     */
    public Taken take(long memoryBytes) {
        MmapGuestMemory region = null;
        List<MmapGuestMemory> dropped = new ArrayList<>();
        synchronized (lock) {
            if (!closed && memoryBytes <= maxReadyBytes) {
                ArrayDeque<MmapGuestMemory> q = ready.computeIfAbsent(memoryBytes, k -> new ArrayDeque<>());
                region = q.pollFirst();
                if (region != null) {
                    committedBytes -= memoryBytes;
                }
                // Forget the least recently asked sizes beyond the few the pool serves.
                Iterator<Map.Entry<Long, ArrayDeque<MmapGuestMemory>>> it = ready.entrySet().iterator();
                while (ready.size() > REMEMBERED_SIZES && it.hasNext()) {
                    Map.Entry<Long, ArrayDeque<MmapGuestMemory>> e = it.next();
                    committedBytes -= e.getKey() * e.getValue().size();
                    dropped.addAll(e.getValue());
                    it.remove();
                }
                fillNotBefore = Math.max(fillNotBefore, System.nanoTime() + fillDelayNanos);
                lock.notifyAll();
            }
        }
        dropped.forEach(MmapGuestMemory::close);
        if (region != null) {
            readyTaken.incrementAndGet();
            return new Taken(region, true);
        }
        freshTaken.incrementAndGet();
        return new Taken(MmapGuestMemory.allocate(Layout.ramRegions(memoryBytes)), false);
    }

    /**
     * The VM that took RAM last has booted (or ended): the filler may start now instead of {@value #FILL_DELAY_MS} ms
     * after the take. The daemon calls it when a sandbox's agent answers, the boot benchmark's server when its VM ends.
     */
    public void vmBooted() {
        synchronized (lock) {
            fillNotBefore = System.nanoTime();
            lock.notifyAll();
        }
    }

    /**
     * Waits until a region of {@code memoryBytes} is ready, for at most {@code timeout}: for a caller that wants its
     * next VM's RAM made ready before it does anything else (the boot benchmark between rounds). False on timeout,
     * when the pool is closed, or when it will not keep that size.
     */
    public boolean awaitReady(long memoryBytes, java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                ArrayDeque<MmapGuestMemory> q = queueOf(memoryBytes);
                if (q != null && !q.isEmpty()) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (closed || q == null || left <= 0) {
                    return false;
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    public Stats stats() {
        synchronized (lock) {
            long bytes = 0;
            for (Map.Entry<Long, ArrayDeque<MmapGuestMemory>> e : ready.entrySet()) {
                bytes += e.getKey() * e.getValue().size();
            }
            return new Stats(readyTaken.get(), freshTaken.get(), fillFailures.get(), bytes);
        }
    }

    /** The next size to make a region for (most recently asked first), or 0 when every size is full or out of bounds. */
    private long nextToFill() {
        // Iterating does not reorder an access-ordered map; get() would, so the filler never calls it.
        List<Map.Entry<Long, ArrayDeque<MmapGuestMemory>>> recentFirst = new ArrayList<>(ready.entrySet());
        for (int i = recentFirst.size() - 1; i >= 0; i--) {
            long size = recentFirst.get(i).getKey();
            if (recentFirst.get(i).getValue().size() < depth && committedBytes + size <= maxReadyBytes) {
                return size;
            }
        }
        return 0;
    }

    /** The queue of ready regions of {@code size}, or null once the size is forgotten (without touching recency). */
    private ArrayDeque<MmapGuestMemory> queueOf(long size) {
        for (Map.Entry<Long, ArrayDeque<MmapGuestMemory>> e : ready.entrySet()) {
            if (e.getKey() == size) {
                return e.getValue();
            }
        }
        return null;
    }

    private void fillLoop() {
        while (true) {
            long size = 0;
            synchronized (lock) {
                while (!closed) {
                    long early = fillNotBefore - System.nanoTime();
                    if (early > 0) {
                        waitQuietly(Math.max(1, early / 1_000_000));
                    } else if ((size = nextToFill()) == 0) {
                        waitQuietly(0);
                    } else {
                        break;
                    }
                }
                if (closed) {
                    return;
                }
                committedBytes += size;
            }
            MmapGuestMemory region = null;
            try {
                region = MmapGuestMemory.allocate(new MmapGuestMemory.Options(false, true), Layout.ramRegions(size));
            } catch (HypervisorException e) {
                fillFailures.incrementAndGet();
                LOG.log(Level.WARNING, "could not make " + (size >> 20) + " MiB of guest RAM ready; VMs get fresh"
                        + " memory until a retry in " + FILL_RETRY_MS / 1000 + " s: " + e.getMessage());
            }
            boolean kept = false;
            synchronized (lock) {
                ArrayDeque<MmapGuestMemory> q = queueOf(size);
                if (region != null && !closed && q != null) {
                    q.addLast(region);
                    kept = true;
                    lock.notifyAll(); // awaitReady
                } else {
                    committedBytes -= size;
                }
                if (region == null && !closed) {
                    waitQuietly(FILL_RETRY_MS);
                }
            }
            if (region != null && !kept) {
                region.close();
            }
        }
    }

    private void waitQuietly(long ms) {
        try {
            lock.wait(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closed = true;
        }
    }

    /** Stops the filler and unmaps every ready region; a pool that is closed hands out fresh memory only. */
    @Override
    public void close() {
        List<MmapGuestMemory> dropped = new ArrayList<>();
        synchronized (lock) {
            closed = true;
            for (Map.Entry<Long, ArrayDeque<MmapGuestMemory>> e : ready.entrySet()) {
                committedBytes -= e.getKey() * e.getValue().size();
                dropped.addAll(e.getValue());
            }
            ready.clear();
            lock.notifyAll();
        }
        try {
            filler.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dropped.forEach(MmapGuestMemory::close);
    }
}
