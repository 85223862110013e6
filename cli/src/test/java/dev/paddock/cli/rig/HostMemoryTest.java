package dev.paddock.cli.rig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostMemoryTest {
    private static final String MEMINFO = "MemTotal:       24576000 kB\nMemFree:        20000000 kB\nMemAvailable:   23000000 kB\n";

    @Test
    void readsMemAvailable() {
        assertThat(HostMemory.availableKiB(MEMINFO)).isEqualTo(23_000_000L);
    }

    @Test
    void takesHalfOfWhatIsAvailableUpToEightGiB() {
        assertThat(HostMemory.helperVmMiB(23_000_000L, null)).isEqualTo(8192);
        assertThat(HostMemory.helperVmMiB(6L * 1024 * 1024, null)).isEqualTo(3072);
    }

    @Test
    void tooLittleMemoryIsAClearError() {
        assertThatThrownBy(() -> HostMemory.helperVmMiB(3L * 1024 * 1024, null))
                .isInstanceOf(RigException.class)
                .hasMessageContaining("not enough memory")
                .hasMessageContaining("at least 2048 MiB")
                .hasMessageContaining("3072 MiB available");
    }

    @Test
    void anOverrideMustFitInWhatIsAvailable() {
        assertThat(HostMemory.helperVmMiB(23_000_000L, 4096L)).isEqualTo(4096);
        assertThatThrownBy(() -> HostMemory.helperVmMiB(4L * 1024 * 1024, 8192L))
                .hasMessageContaining("PADDOCK_RIG_MEMORY_MB=8192").hasMessageContaining("4096 MiB");
    }

    @Test
    void meminfoWithoutMemAvailableIsAnError() {
        assertThatThrownBy(() -> HostMemory.availableKiB("MemTotal: 1 kB\n")).hasMessageContaining("PADDOCK_RIG_MEMORY_MB");
    }
}
