package dev.paddock.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.VcpuExit;
import org.junit.jupiter.api.Test;

class MmioBusTest {
    private final MmioBus bus = new MmioBus();
    private final RecordingDevice virtio = new RecordingDevice();

    @Test
    void accessesReachTheDeviceAtItsOffset() {
        bus.insert(0xC000_1000L, 0x1000, "virtio-mmio 0", virtio);
        ArrayExitData read = new ArrayExitData(4);
        bus.dispatch(new VcpuExit.Mmio(0xC000_1070L, 4, false, read));
        assertThat(read.bytes).containsExactly(0x70, 0x71, 0x72, 0x73);
        bus.dispatch(new VcpuExit.Mmio(0xC000_1FF8L, 8, true, new ArrayExitData(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})));
        assertThat(virtio.accesses.get(1).offset()).isEqualTo(0xFF8);
        assertThat(virtio.accesses.get(1).data()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
    }

    @Test
    void unclaimedAddressesReadZerosAndDropWrites() {
        bus.insert(0xC000_1000L, 0x1000, "virtio-mmio 0", virtio);
        ArrayExitData read = new ArrayExitData(new byte[] {9, 9, 9, 9});
        bus.dispatch(new VcpuExit.Mmio(0xC000_2000L, 4, false, read));
        assertThat(read.bytes).containsOnly(0);
        bus.dispatch(new VcpuExit.Mmio(0xC000_0FFCL, 8, true, new ArrayExitData(8)));
        assertThat(virtio.accesses).isEmpty();
        assertThat(bus.unclaimedReads()).isEqualTo(1);
        assertThat(bus.unclaimedWrites()).isEqualTo(1);
    }

    @Test
    void anAccessStraddlingTheEndOfASlotIsUnclaimed() {
        bus.insert(0xC000_1000L, 0x1000, "virtio-mmio 0", virtio);
        bus.insert(0xC000_2000L, 0x1000, "virtio-mmio 1", virtio);
        ArrayExitData read = new ArrayExitData(8);
        bus.dispatch(new VcpuExit.Mmio(0xC000_1FFCL, 8, false, read));
        assertThat(virtio.accesses).isEmpty();
        assertThat(bus.unclaimedReads()).isEqualTo(1);
    }

    @Test
    void overlapsAreRefused() {
        bus.insert(0xC000_1000L, 0x1000, "a", virtio);
        assertThatThrownBy(() -> bus.insert(0xC000_0800L, 0x1000, "b", virtio))
                .hasMessageContaining("cannot map b [0xc0000800, 0xc0001800) on the MMIO bus: it overlaps a");
        assertThatThrownBy(() -> bus.insert(0x10, 0, "empty", virtio)).hasMessageContaining("positive length");
    }
}
