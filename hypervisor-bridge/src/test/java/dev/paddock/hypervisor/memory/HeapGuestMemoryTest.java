package dev.paddock.hypervisor.memory;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HeapGuestMemoryTest extends GuestMemoryContract {
    @Override
    protected GuestMemory create(long[]... ranges) {
        return HeapGuestMemory.of(ranges);
    }

    @Test
    void heapRegionsHaveNoHostAddress() {
        assertThat(mem.regions()).allSatisfy(r -> assertThat(r.hostAddress()).isEmpty());
    }
}
