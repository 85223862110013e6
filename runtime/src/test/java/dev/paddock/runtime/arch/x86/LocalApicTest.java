package dev.paddock.runtime.arch.x86;

import static org.assertj.core.api.Assertions.assertThat;

import dev.paddock.hypervisor.x86.LapicState;
import org.junit.jupiter.api.Test;

class LocalApicTest {

    @Test
    void lint0IsExtIntAndLint1IsNmiKeepingTheOtherBits() {
        LapicState reset = new LapicState(new byte[1024])
                .withRegister(0x350, 0x0001_0700)   // masked, some old delivery mode
                .withRegister(0x360, 0x0001_0000)   // masked, fixed
                .withRegister(0x20, 0x0300_0000);
        LapicState set = LocalApic.withVirtualWire(reset);
        assertThat(set.register(0x350)).isEqualTo(0x0001_0700);
        assertThat(set.register(0x360)).isEqualTo(0x0001_0400);
        assertThat(set.register(0x20)).isEqualTo(0x0300_0000);
        assertThat(LocalApic.withVirtualWire(new LapicState(new byte[1024])).register(0x350)).isEqualTo(0x700);
        byte[] raw = LocalApic.withVirtualWire(new LapicState(new byte[1024])).bytes();
        assertThat(raw[0x351]).as("delivery mode bits 8-10 of LVT0, little-endian").isEqualTo((byte) 0x07);
        assertThat(raw[0x361]).isEqualTo((byte) 0x04);
    }
}
