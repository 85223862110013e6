package dev.paddock.runtime.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.memory.GuestRegion;
import dev.paddock.runtime.arch.x86.Layout;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class MemoryMapTest {
    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;

    private static List<GuestRegion> regions(long bytes) {
        List<GuestRegion> out = new ArrayList<>();
        for (long[] r : Layout.ramRegions(bytes)) {
            out.add(new GuestRegion(r[0], r[1], OptionalLong.empty()));
        }
        return out;
    }

    @Test
    void lowMemoryIsSplitAroundTheBiosArea() {
        assertThat(MemoryMap.of(regions(256 * MIB)).entries()).containsExactly(
                new MemoryMap.Entry(0, 0x9FC00, MemoryMap.TYPE_RAM),
                new MemoryMap.Entry(0x9FC00, 0x100000 - 0x9FC00, MemoryMap.TYPE_RESERVED),
                new MemoryMap.Entry(0x100000, 255 * MIB, MemoryMap.TYPE_RAM));
    }

    @Test
    void memoryAboveTheHoleStartsAtFourGib() {
        assertThat(MemoryMap.of(regions(4 * GIB)).entries()).containsExactly(
                new MemoryMap.Entry(0, 0x9FC00, MemoryMap.TYPE_RAM),
                new MemoryMap.Entry(0x9FC00, 0x60400, MemoryMap.TYPE_RESERVED),
                new MemoryMap.Entry(MIB, 3 * GIB - MIB, MemoryMap.TYPE_RAM),
                new MemoryMap.Entry(4 * GIB, GIB, MemoryMap.TYPE_RAM));
    }

    @Test
    void exactlyOneMibHasNoHighRamEntry() {
        assertThat(MemoryMap.of(regions(MIB)).entries()).hasSize(2);
    }

    @Test
    void guestsBelowOneMibOrWithoutLowRamAreRejected() {
        assertThatThrownBy(() -> MemoryMap.of(regions(512 * 1024)))
                .isInstanceOf(BootException.class).hasMessageContaining("below 1 MiB");
        assertThatThrownBy(() -> MemoryMap.of(List.of(new GuestRegion(4 * GIB, GIB, OptionalLong.empty()))))
                .isInstanceOf(BootException.class).hasMessageContaining("no RAM region at address 0");
    }
}
