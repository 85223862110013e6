package dev.paddock.runtime.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.x86.MsrEntry;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class BootMsrsTest {

    @Test
    void zeroesSyscallStateAndTscEnablesFastStringsAndWriteBackMtrrs() {
        Map<Integer, Long> msrs = BootMsrs.entries().stream()
                .collect(Collectors.toMap(MsrEntry::index, MsrEntry::data));
        assertThat(msrs).containsOnlyKeys(0x174, 0x175, 0x176, 0xC0000081, 0xC0000082, 0xC0000083, 0xC0000084,
                0xC0000102, 0x10, 0x1A0, 0x2FF);
        assertThat(msrs.get(0x1A0)).isEqualTo(1L);
        assertThat(msrs.get(0x2FF)).isEqualTo(0x806L);
        assertThat(msrs.get(0x10)).isZero();
        assertThat(msrs.get(0xC0000082)).isZero();
    }
}
