package dev.paddock.hypervisor.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.BufferGuestMemory;
import dev.paddock.hypervisor.memory.GuestMemory;
import dev.paddock.hypervisor.memory.GuestMemoryContract;
import org.junit.jupiter.api.Test;

class MmapGuestMemoryTest extends GuestMemoryContract {
    @Override
    protected GuestMemory create(long[]... ranges) {
        return MmapGuestMemory.allocate(ranges);
    }

    @Test
    void regionsCarryTheirHostMapping() {
        assertThat(mem.regions()).allSatisfy(r -> assertThat(r.hostAddress()).isPresent());
    }

    @Test
    void ramLargerThanTwoGibWithAHoleBelowFourGib() {
        // 3 GiB below the 32-bit MMIO hole plus 2 GiB above 4 GiB: NORESERVE makes this free until touched.
        long gib = 1L << 30;
        try (GuestMemory big = MmapGuestMemory.allocate(new MmapGuestMemory.Options(true),
                new long[] {0, 3 * gib}, new long[] {4 * gib, 2 * gib})) {
            assertThat(big.size()).isEqualTo(5 * gib);
            // Plain, cross-chunk and ordered accesses at chunk boundaries of the low region.
            big.writeLong(gib - 4, 0x0102030405060708L);
            assertThat(big.readLong(gib - 4)).isEqualTo(0x0102030405060708L);
            byte[] bytes = new byte[64];
            big.read(2 * gib - 32, bytes, 0, 64);
            big.writeIntRelease(2 * gib, 42);
            assertThat(big.readIntAcquire(2 * gib)).isEqualTo(42);
            assertThatThrownBy(() -> big.slice(gib - 4, 8)).hasMessageContaining("boundary");
            // Last byte below the hole, first byte above it, and the hole itself.
            big.writeByte(3 * gib - 1, (byte) 1);
            big.writeByte(4 * gib + 2 * gib - 1, (byte) 2);
            assertThat(big.readByte(3 * gib - 1)).isEqualTo((byte) 1);
            assertThat(big.readByte(6 * gib - 1)).isEqualTo((byte) 2);
            assertThat(big.isValidRange(3 * gib, 1)).isFalse();
            assertThatThrownBy(() -> big.readByte(3 * gib + 5)).hasMessageContaining("not in guest RAM");
            assertThat(BufferGuestMemory.CHUNK_SIZE).isEqualTo(gib);
        }
    }

    @Test
    void sizesMustBeWholePages() {
        assertThatThrownBy(() -> MmapGuestMemory.allocate(new long[] {0, 1000}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4 KiB");
    }

    @Test
    void freshRamIsNotResidentAndPrefaultedRamIsWholeAndZero() {
        long size = 16L << 20;
        try (MmapGuestMemory lazy = MmapGuestMemory.allocate(new long[] {0, size});
             MmapGuestMemory ready = MmapGuestMemory.allocate(new MmapGuestMemory.Options(false, true),
                     new long[] {0, size - MmapGuestMemory.PREFAULT_STEP / 2}, new long[] {size, size})) {
            assertThat(lazy.residentBytes()).isLessThan(size / 4);
            assertThat(ready.residentBytes()).isEqualTo(ready.size());
            byte[] page = new byte[4096];
            for (long gpa : new long[] {0, size - MmapGuestMemory.PREFAULT_STEP / 2 - 4096, size, 2 * size - 4096}) {
                ready.read(gpa, page, 0, page.length);
                assertThat(page).containsOnly(0);
            }
        }
    }
}
