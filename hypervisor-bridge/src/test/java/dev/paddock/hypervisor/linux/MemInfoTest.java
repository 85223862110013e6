package dev.paddock.hypervisor.linux;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MemInfoTest {

    @Test
    void readsMemAvailableInKiB() {
        assertThat(MemInfo.availableKiB("MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   23000000 kB\n"))
                .hasValue(23_000_000L);
    }

    @Test
    void aMissingOrGarbledLineIsEmpty() {
        assertThat(MemInfo.availableKiB("MemTotal: 1 kB\n")).isEmpty();
        assertThat(MemInfo.availableKiB("MemAvailable: lots kB\n")).isEmpty();
        assertThat(MemInfo.availableKiB("MemAvailable:\n")).isEmpty();
    }

    @Test
    void thisHostHasIt() throws Exception {
        assertThat(MemInfo.availableKiB(MemInfo.PROC_MEMINFO)).isPresent();
    }
}
