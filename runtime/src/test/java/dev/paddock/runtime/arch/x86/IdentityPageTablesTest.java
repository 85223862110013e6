package dev.paddock.runtime.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.memory.HeapGuestMemory;
import org.junit.jupiter.api.Test;

class IdentityPageTablesTest {

    @Test
    void mapsTheFirstGibWith2MibPages() {
        try (HeapGuestMemory memory = HeapGuestMemory.ofSize(1 << 20)) {
            IdentityPageTables.write(memory);
            assertThat(memory.readLong(0x9000)).as("PML4[0] -> PDPT, present|rw").isEqualTo(0xA003);
            assertThat(memory.readLong(0x9008)).isZero();
            assertThat(memory.readLong(0xA000)).as("PDPT[0] -> PD, present|rw").isEqualTo(0xB003);
            assertThat(memory.readLong(0xA008)).isZero();
            assertThat(memory.readLong(0xB000)).as("PD[0]: 0, present|rw|PS").isEqualTo(0x83);
            assertThat(memory.readLong(0xB008)).isEqualTo(0x20_0083);
            assertThat(memory.readLong(0xB000 + 511 * 8)).isEqualTo(0x3FE0_0083L);
            for (int i = 0; i < 512; i++) {
                assertThat(memory.readLong(0xB000 + i * 8L)).isEqualTo(((long) i << 21) | 0x83);
            }
        }
    }
}
