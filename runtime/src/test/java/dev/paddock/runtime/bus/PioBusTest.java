package dev.paddock.runtime.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.paddock.hypervisor.VcpuExit;
import org.junit.jupiter.api.Test;

class PioBusTest {
    private final PioBus bus = new PioBus();
    private final RecordingDevice uart = new RecordingDevice();

    @Test
    void aWriteReachesTheDeviceAtItsOffset() {
        bus.insert(0x3F8, 8, "uart", uart);
        bus.dispatch(new VcpuExit.Io(0x3FB, 1, VcpuExit.Direction.OUT, 1, new ArrayExitData(new byte[] {0x03})));
        assertThat(uart.accesses).singleElement().satisfies(a -> {
            assertThat(a.write()).isTrue();
            assertThat(a.offset()).isEqualTo(3);
            assertThat(a.data()).containsExactly(0x03);
        });
    }

    @Test
    void aReadFillsTheExitData() {
        bus.insert(0x3F8, 8, "uart", uart);
        ArrayExitData data = new ArrayExitData(2);
        bus.dispatch(new VcpuExit.Io(0x3FA, 2, VcpuExit.Direction.IN, 1, data));
        assertThat(data.bytes).containsExactly(2, 3);
    }

    @Test
    void aStringOutputIsOneDeviceWritePerElement() {
        bus.insert(0x3F8, 8, "uart", uart);
        bus.dispatch(new VcpuExit.Io(0x3F8, 1, VcpuExit.Direction.OUT, 3, new ArrayExitData("abc".getBytes())));
        assertThat(uart.accesses).extracting(a -> (char) a.data()[0]).containsExactly('a', 'b', 'c');
        assertThat(uart.accesses).allSatisfy(a -> assertThat(a.offset()).isZero());
    }

    @Test
    void aStringInputReadsTheSamePortCountTimes() {
        bus.insert(0x3F8, 8, "uart", uart);
        ArrayExitData data = new ArrayExitData(6);
        bus.dispatch(new VcpuExit.Io(0x3F9, 2, VcpuExit.Direction.IN, 3, data));
        assertThat(uart.accesses).hasSize(3).allSatisfy(a -> assertThat(a.offset()).isEqualTo(1));
        assertThat(data.bytes).containsExactly(1, 2, 1, 2, 1, 2);
    }

    @Test
    void unclaimedPortsReadAllOnesAndAreCounted() {
        ArrayExitData data = new ArrayExitData(4);
        bus.dispatch(new VcpuExit.Io(0x2F8, 4, VcpuExit.Direction.IN, 1, data));
        assertThat(data.bytes).containsOnly(0xFF);
        bus.dispatch(new VcpuExit.Io(0x80, 1, VcpuExit.Direction.OUT, 1, new ArrayExitData(1)));
        assertThat(bus.unclaimedReads()).isEqualTo(1);
        assertThat(bus.unclaimedWrites()).isEqualTo(1);
        assertThat(bus.lastUnclaimedAddress()).isEqualTo(0x80);
    }

    @Test
    void anAccessRunningPastTheEndOfARangeIsNotTheDevices() {
        bus.insert(0x60, 1, "i8042 data", uart);
        ArrayExitData data = new ArrayExitData(2);
        bus.dispatch(new VcpuExit.Io(0x60, 2, VcpuExit.Direction.IN, 1, data));
        assertThat(uart.accesses).isEmpty();
        assertThat(data.bytes).containsOnly(0xFF);
        assertThat(bus.unclaimedReads()).isEqualTo(1);
    }

    @Test
    void overlappingRangesAreRefusedNamingBoth() {
        bus.insert(0x3F8, 8, "COM1", uart);
        assertThatThrownBy(() -> bus.insert(0x3FF, 2, "other", new RecordingDevice()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("other [0x3ff, 0x401)")
                .hasMessageContaining("COM1 [0x3f8, 0x400)");
        bus.insert(0x400, 1, "adjacent", new RecordingDevice());
        assertThat(bus.ranges()).extracting(BusRange::name).containsExactly("COM1", "adjacent");
    }

    @Test
    void portsEndAt0xFFFF() {
        assertThatThrownBy(() -> bus.insert(0xFFFF, 2, "too far", uart))
                .hasMessageContaining("ports end at 0xffff");
    }

    @Test
    void lookupFindsEachOfManyRanges() {
        for (int i = 0; i < 50; i++) {
            bus.insert(0x1000 + i * 0x10L, 8, "dev" + i, uart);
        }
        for (int i = 0; i < 50; i++) {
            assertThat(bus.find(0x1000 + i * 0x10L + 7)).get().extracting(BusRange::name).isEqualTo("dev" + i);
            assertThat(bus.find(0x1000 + i * 0x10L + 8)).isEmpty();
        }
    }
}
