package dev.paddock.runtime.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.linux.MmapGuestMemory;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The pool without KVM: its regions are plain mappings, so readiness and freshness are checked with mincore. */
class GuestRamPoolTest {
    private static final long MIB = 1L << 20;
    private static final long SMALL = 64 * MIB;

    @Test
    void theFirstVmOfASizeGetsFreshRamAndTheNextOneReadyRam() throws Exception {
        try (GuestRamPool pool = GuestRamPool.start("test-pool", 1, 256 * MIB)) {
            GuestRamPool.Taken first = pool.take(SMALL);
            try (MmapGuestMemory ram = first.memory()) {
                assertThat(first.wasReady()).isFalse();
                assertThat(ram.size()).isEqualTo(SMALL);
                assertThat(ram.residentBytes()).isLessThan(SMALL / 4);
            }
            pool.vmBooted();
            assertThat(pool.awaitReady(SMALL, java.time.Duration.ofSeconds(30))).isTrue();
            assertThat(pool.awaitReady(32 * MIB, java.time.Duration.ofMillis(1))).as("a size never asked for").isFalse();
            GuestRamPool.Taken second = pool.take(SMALL);
            try (MmapGuestMemory ram = second.memory()) {
                assertThat(second.wasReady()).isTrue();
                assertThat(ram.residentBytes()).isEqualTo(SMALL);
            }
            assertThat(pool.stats()).satisfies(s -> {
                assertThat(s.readyTaken()).isEqualTo(1);
                assertThat(s.freshTaken()).isEqualTo(1);
                assertThat(s.fillFailures()).isZero();
            });
        }
    }

    @Test
    void whatOneVmWroteNeverReachesTheNext() throws Exception {
        byte[] secret = "a guest's private key".getBytes();
        byte[] seen = new byte[secret.length];
        try (GuestRamPool pool = GuestRamPool.start("test-pool", 1, 256 * MIB)) {
            for (int round = 0; round < 4; round++) {
                await(() -> pool.stats().readyBytes() == SMALL || pool.stats().freshTaken() == 0);
                try (MmapGuestMemory ram = pool.take(SMALL).memory()) {
                    pool.vmBooted();
                    for (long gpa = 0; gpa < SMALL; gpa += 4 * MIB) {
                        ram.read(gpa, seen, 0, seen.length);
                        assertThat(seen).as("round %d at 0x%x", round, gpa).containsOnly(0);
                        ram.write(gpa, secret, 0, secret.length);
                    }
                }
            }
            assertThat(pool.stats().readyTaken()).isEqualTo(3);
        }
    }

    @Test
    void theFillWaitsForTheBootThatTookRamOrForTheDelay() throws Exception {
        try (GuestRamPool pool = GuestRamPool.start("test-pool", 1, 256 * MIB, 60_000)) {
            pool.take(SMALL).memory().close();
            assertThat(pool.awaitReady(SMALL, java.time.Duration.ofMillis(500))).as("filled during the boot").isFalse();
            pool.vmBooted();
            assertThat(pool.awaitReady(SMALL, java.time.Duration.ofSeconds(30))).isTrue();
        }
        try (GuestRamPool pool = GuestRamPool.start("test-pool", 1, 256 * MIB, 300)) {
            pool.take(SMALL).memory().close(); // nobody says the boot is over: filled after the delay anyway
            assertThat(pool.awaitReady(SMALL, java.time.Duration.ofSeconds(30))).isTrue();
        }
    }

    @Test
    void aVmBiggerThanTheBoundIsNeverPooled() throws Exception {
        try (GuestRamPool pool = GuestRamPool.start("test-pool", 1, 32 * MIB)) {
            taken(pool, SMALL);
            Thread.sleep(300);
            assertThat(pool.take(SMALL).wasReady()).isFalse();
            assertThat(pool.stats().readyBytes()).isZero();
        }
    }

    @Test
    void onlyTheMostRecentlyAskedSizesAreKeptAndTheBoundHolds() throws Exception {
        try (GuestRamPool pool = GuestRamPool.start("test-pool", 2, 200 * MIB)) {
            taken(pool, SMALL);
            await(() -> pool.stats().readyBytes() == 2 * SMALL);
            taken(pool, 80 * MIB); // 2·64 + 80 > 200: waits for room
            Thread.sleep(300);
            assertThat(pool.stats().readyBytes()).isEqualTo(2 * SMALL);
            // A third size: 64 MiB is forgotten and its regions unmapped; the newest size is filled first.
            taken(pool, 96 * MIB);
            await(() -> pool.stats().readyBytes() == 2 * 96 * MIB);
            Thread.sleep(300);
            assertThat(pool.stats().readyBytes()).isEqualTo(2 * 96 * MIB); // no room for 80 MiB within 200
            assertThat(pool.take(SMALL).wasReady()).isFalse();
        }
    }

    @Test
    void aClosedPoolHandsOutFreshRamAndKeepsNothing() throws Exception {
        GuestRamPool pool = GuestRamPool.start("test-pool", 1, 256 * MIB);
        taken(pool, SMALL);
        await(() -> pool.stats().readyBytes() == SMALL);
        pool.close();
        assertThat(pool.stats().readyBytes()).isZero();
        try (MmapGuestMemory ram = pool.take(SMALL).memory()) {
            assertThat(ram.size()).isEqualTo(SMALL);
        }
        assertThat(pool.stats().readyTaken()).isZero();
    }

    @Test
    void badBoundsAreRefusedByName() {
        assertThatThrownBy(() -> GuestRamPool.start("p", 0, SMALL)).hasMessageContaining("at least 1 region");
        assertThatThrownBy(() -> GuestRamPool.start("p", 1, 100)).hasMessageContaining("at least one page");
    }

    /** A VM of {@code bytes} took RAM, booted and ended. */
    private static void taken(GuestRamPool pool, long bytes) {
        pool.take(bytes).memory().close();
        pool.vmBooted();
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 30 s for the pool's filler").isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
